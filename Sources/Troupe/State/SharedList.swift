/// A list held by a shared-state owner: Python's `Manager().list()`.
public struct SharedList<Element: Codable & Sendable>: Sendable, Codable {
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

    /// Where the list lives.
    public var reference: SharedStateReference { client.reference }

    /// Appends `element`.
    /// - Parameter element: the new last element.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func append(_ element: Element) async throws {
        _ = try await client.perform("append", [client.encode(element)])
    }

    /// Appends every element, atomically (Python's `extend`).
    /// - Parameter elements: the new last elements, in order.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func append(contentsOf elements: [Element]) async throws {
        _ = try await client.perform("extend", [client.encode(elements)])
    }

    /// The element at `index` (`try await list[0]`; negative counts from the end).
    /// - Parameter index: the element's position.
    public subscript(index: Int) -> Element {
        get async throws { try await client.perform("get", [client.encode(index)], as: Element.self) }
    }

    /// Replaces the element at `index`.
    /// - Parameters:
    ///   - index: the element's position; negative counts from the end.
    ///   - element: the new element.
    /// - Throws: ``TroupeError`` `.indexOutOfRange` when `index` is outside the list, or `.ownerUnavailable`.
    public func set(_ index: Int, to element: Element) async throws {
        _ = try await client.perform("set", [client.encode(index), client.encode(element)])
    }

    /// Inserts `element` before `index`; as in Python, an index past either end inserts at
    /// that end.
    /// - Parameters:
    ///   - element: the new element.
    ///   - index: the position it takes; negative counts from the end.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func insert(_ element: Element, at index: Int) async throws {
        _ = try await client.perform("insert", [client.encode(index), client.encode(element)])
    }

    /// Removes and returns the element at `index`, by default the last one.
    /// - Parameter index: the element's position (negative counts from the end), or nil for
    ///   the last element.
    /// - Returns: the removed element.
    /// - Throws: ``TroupeError`` `.indexOutOfRange` when the list is empty or `index` is
    ///   outside it, or `.ownerUnavailable`.
    @discardableResult
    public func pop(at index: Int? = nil) async throws -> Element {
        try await client.perform("pop", [client.encode(index)], as: Element.self)
    }

    /// The number of elements (`try await list.count`), asked of the owner.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public var count: Int {
        get async throws { try await client.perform("count", as: Int.self) }
    }

    /// A copy of every element, taken atomically, in one round trip.
    /// - Returns: the elements, in order.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func snapshot() async throws -> [Element] {
        try await client.perform("snapshot", as: [Element].self)
    }

    /// Removes every element.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func removeAll() async throws {
        _ = try await client.perform("clear")
    }
}
