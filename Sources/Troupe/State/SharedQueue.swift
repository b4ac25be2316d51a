/// A first-in, first-out queue held by a shared-state owner: Python's `Manager().Queue()`.
///
/// ``get(timeout:)`` waits at the owner until an element arrives; every element put is
/// taken by exactly one `get`.
public struct SharedQueue<Element: Codable & Sendable>: Sendable, Codable {
    let client: StateClient

    init(client: StateClient) { self.client = client }
    public init(from decoder: any Decoder) throws { client = try StateClient.decode(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try client.encode(to: encoder) }

    /// Where the queue lives.
    public var reference: SharedStateReference { client.reference }

    /// Adds `element` at the end.
    public func put(_ element: Element) async throws {
        _ = try await client.perform("put", [client.encode(element)])
    }

    /// Removes and returns the first element, waiting for one to arrive.
    /// - Parameter timeout: how long to wait; nil waits as long as it takes, zero not at all.
    /// - Throws: ``TroupeError`` `.timeout` when the queue stayed empty.
    public func get(timeout: Duration? = nil) async throws -> Element {
        let seconds = timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        // The owner enforces the wait; the call itself may take that long and more.
        let extraWait = timeout ?? .seconds(365 * 24 * 3600)
        return try await client.perform("get", [client.encode(seconds)], as: Element.self, extraWait: extraWait)
    }

    /// The number of elements waiting.
    public func count() async throws -> Int {
        try await client.perform("count", as: Int.self)
    }
}
