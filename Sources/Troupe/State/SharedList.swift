/// A list held by a shared-state owner: Python's `Manager().list()`.
public struct SharedList<Element: Codable & Sendable>: Sendable, Codable {
    let client: StateClient

    init(client: StateClient) { self.client = client }
    public init(from decoder: any Decoder) throws { client = try StateClient.decode(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try client.encode(to: encoder) }

    /// Where the list lives.
    public var reference: SharedStateReference { client.reference }

    /// Appends `element`.
    public func append(_ element: Element) async throws {
        _ = try await client.perform("append", [client.encode(element)])
    }

    /// Appends every element, atomically.
    public func append(contentsOf elements: [Element]) async throws {
        _ = try await client.perform("extend", [client.encode(elements)])
    }

    /// The element at `index` (negative counts from the end).
    public subscript(index: Int) -> Element {
        get async throws { try await client.perform("get", [client.encode(index)], as: Element.self) }
    }

    /// Replaces the element at `index`.
    public func set(_ index: Int, to element: Element) async throws {
        _ = try await client.perform("set", [client.encode(index), client.encode(element)])
    }

    /// Inserts `element` before `index`.
    public func insert(_ element: Element, at index: Int) async throws {
        _ = try await client.perform("insert", [client.encode(index), client.encode(element)])
    }

    /// Removes and returns the element at `index`, by default the last one.
    @discardableResult
    public func pop(at index: Int? = nil) async throws -> Element {
        try await client.perform("pop", [client.encode(index)], as: Element.self)
    }

    /// The number of elements.
    public func count() async throws -> Int {
        try await client.perform("count", as: Int.self)
    }

    /// A copy of every element, taken atomically.
    public func snapshot() async throws -> [Element] {
        try await client.perform("snapshot", as: [Element].self)
    }

    /// Removes every element.
    public func removeAll() async throws {
        _ = try await client.perform("clear")
    }
}
