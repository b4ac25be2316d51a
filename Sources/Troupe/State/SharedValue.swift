/// A single value held by a shared-state owner: Python's `Manager().Value()`.
public struct SharedValue<Wrapped: Codable & Sendable>: Sendable, Codable {
    let client: StateClient

    init(client: StateClient) { self.client = client }
    public init(from decoder: any Decoder) throws { client = try StateClient.decode(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try client.encode(to: encoder) }

    /// Where the value lives.
    public var reference: SharedStateReference { client.reference }

    /// The current value.
    public func get() async throws -> Wrapped {
        try await client.perform("get", as: Wrapped.self)
    }

    /// Replaces the value.
    public func set(_ value: Wrapped) async throws {
        _ = try await client.perform("set", [client.encode(value)])
    }

    /// Adds `delta` atomically; returns the new value.
    @discardableResult
    public func increment(by delta: Wrapped) async throws -> Wrapped where Wrapped: Numeric {
        try await client.perform("increment", [client.encode(delta)], as: Wrapped.self)
    }

    /// Stores `desired` only if the value is `expected`.
    /// - Returns: whether it was stored, and the value before the operation.
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
