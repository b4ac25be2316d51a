/// A first-in, first-out queue held by a shared-state owner: Python's `Manager().Queue()`.
///
/// ``get(timeout:)`` waits at the owner until an element arrives; every element put is
/// taken by exactly one `get`.
public struct SharedQueue<Element: Codable & Sendable>: Sendable, Codable {
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

    /// Where the queue lives.
    public var reference: SharedStateReference { client.reference }

    /// Adds `element` at the end; a `get` waiting for one takes it at once.
    /// - Parameter element: the new element.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func put(_ element: Element) async throws {
        _ = try await client.perform("put", [client.encode(element)])
    }

    /// Removes and returns the first element, waiting for one to arrive.
    /// - Parameter timeout: how long to wait; nil waits as long as it takes, zero not at all.
    /// - Returns: the element that was first in the queue.
    /// - Throws: ``TroupeError`` `.timeout` when the queue stayed empty, or `.ownerUnavailable`.
    public func get(timeout: Duration? = nil) async throws -> Element {
        let seconds = timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        // The owner enforces the wait; the call itself may take that long and more.
        let extraWait = timeout ?? .seconds(365 * 24 * 3600)
        return try await client.perform("get", [client.encode(seconds)], as: Element.self, extraWait: extraWait)
    }

    /// The number of elements waiting (`try await queue.count`), asked of the owner.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public var count: Int {
        get async throws { try await client.perform("count", as: Int.self) }
    }
}
