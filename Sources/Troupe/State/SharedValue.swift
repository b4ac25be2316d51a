/// A single value held by a shared-state owner: Python's `Manager().Value()`.
public struct SharedValue<Wrapped: Codable & Sendable>: Sendable, Codable {
    let client: StateClient

    init(client: StateClient) { self.client = client }
    /// Decodes a proxy, as a worker does with an argument: it reaches the same container.
    /// - Parameter decoder: the decoder of the received value.
    /// - Throws: a decoding error when the value is not a proxy reference.
    public init(from decoder: any Decoder) throws { client = try StateClient.decode(from: decoder) }
    /// Encodes the proxy: the container's reference, never its contents.
    /// - Parameter encoder: the encoder.
    /// - Throws: an encoding error from `encoder`.
    public func encode(to encoder: any Encoder) throws { try client.encode(to: encoder) }

    /// Where the value lives.
    public var reference: SharedStateReference { client.reference }

    /// The current value.
    /// - Returns: the value.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func get() async throws -> Wrapped {
        try await client.perform("get", as: Wrapped.self)
    }

    /// Replaces the value.
    /// - Parameter value: the new value.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func set(_ value: Wrapped) async throws {
        _ = try await client.perform("set", [client.encode(value)])
    }

    /// Adds `delta` atomically: concurrent increments from many processes lose no update.
    /// - Parameter delta: what to add.
    /// - Returns: the new value.
    /// - Throws: ``TroupeError`` `.invalidArgument` when the sum overflows, or `.ownerUnavailable`.
    @discardableResult
    public func increment(by delta: Wrapped) async throws -> Wrapped where Wrapped: Numeric {
        try await client.perform("increment", [client.encode(delta)], as: Wrapped.self)
    }

    /// Stores `desired` only if the value is `expected`, atomically.
    /// - Parameters:
    ///   - expected: the value it must have.
    ///   - desired: the value to store.
    /// - Returns: whether it was stored, and the value before the operation.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func compareExchange(expected: Wrapped, desired: Wrapped) async throws -> (exchanged: Bool, original: Wrapped)
    where Wrapped: Equatable {
        let bytes = try await client.perform("compareExchange", [client.encode(expected), client.encode(desired)])
        let answer = try client.decode(CompareExchangeAnswer<Wrapped>.self, from: bytes, operation: "compareExchange")
        guard let original = answer.original else {
            throw TroupeError(.typeMismatch, "compareExchange on \(reference) returned no value")
        }
        return (answer.exchanged, original)
    }
}
