/// An element type a ``SharedArray`` can hold, with Python's type code for it.
public protocol SharedArrayElement: Codable, Sendable, Numeric {
    /// Python's `array` type code: "i" for Int32, "l" for Int64, "d" for Double.
    static var typeCode: String { get }
}

extension Int32: SharedArrayElement { public static var typeCode: String { "i" } }
extension Int64: SharedArrayElement { public static var typeCode: String { "l" } }
extension Int: SharedArrayElement { public static var typeCode: String { "l" } }
extension Double: SharedArrayElement { public static var typeCode: String { "d" } }

/// A fixed-size array of numbers held by a shared-state owner: Python's
/// `multiprocessing.Array('i', [...])`, whose size never changes.
///
/// ```swift
/// let temp = try await manager.array([11, 22, 33, 44] as [Int32])
/// try await temp.set(0, to: 100)
/// try await temp.increment(at: 1, by: 5)        // atomic
/// print(try await temp.snapshot())
/// ```
/// An index outside the array fails with ``TroupeError/Code/indexOutOfRange`` and changes
/// nothing; negative indices count from the end, as in Python.
public struct SharedArray<Element: SharedArrayElement>: Sendable, Codable {
    let client: StateClient
    /// The number of elements (fixed).
    public let count: Int

    init(client: StateClient, count: Int) {
        self.client = client
        self.count = count
    }

    /// Decodes a proxy, as a worker does with an argument: it reaches the same container.
    /// - Parameter decoder: the decoder of the received value.
    /// - Throws: a decoding error when the value is not a proxy reference.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        client = try container.decode(ClientBox.self).client
        count = try container.decode(Int.self)
    }

    /// Encodes the proxy: the container's reference, never its contents.
    /// - Parameter encoder: the encoder.
    /// - Throws: an encoding error from `encoder`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(ClientBox(client: client))
        try container.encode(count)
    }

    /// Where the array lives.
    public var reference: SharedStateReference { client.reference }

    /// The element at `index` (`try await array[2]`); a negative index counts from the end.
    /// - Parameter index: the element's position.
    public subscript(index: Int) -> Element {
        get async throws { try await client.perform("get", [client.encode(index)], as: Element.self) }
    }

    /// Stores `value` at `index`.
    /// - Parameters:
    ///   - index: the element's position; a negative index counts from the end.
    ///   - value: the new element.
    /// - Throws: ``TroupeError`` `.indexOutOfRange` when `index` is outside the array, or
    ///   `.ownerUnavailable` when the owner does not answer in time.
    public func set(_ index: Int, to value: Element) async throws {
        _ = try await client.perform("set", [client.encode(index), client.encode(value)])
    }

    /// Adds `delta` to the element at `index` atomically: concurrent additions from many
    /// processes lose no update.
    /// - Parameters:
    ///   - index: the element's position; a negative index counts from the end.
    ///   - delta: what to add.
    /// - Returns: the new element.
    /// - Throws: ``TroupeError`` `.indexOutOfRange` when `index` is outside the array,
    ///   `.invalidArgument` when the sum overflows the element type, or `.ownerUnavailable`.
    @discardableResult
    public func increment(at index: Int, by delta: Element) async throws -> Element {
        try await client.perform("add", [client.encode(index), client.encode(delta)], as: Element.self)
    }

    /// A copy of every element, taken atomically, in one round trip.
    /// - Returns: the elements, in order.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func snapshot() async throws -> [Element] {
        try await client.perform("snapshot", as: [Element].self)
    }
}

/// Lets a proxy that encodes as a single value sit inside another container.
struct ClientBox: Codable {
    let client: StateClient
    init(client: StateClient) { self.client = client }
    init(from decoder: any Decoder) throws { client = try StateClient.decode(from: decoder) }
    func encode(to encoder: any Encoder) throws { try client.encode(to: encoder) }
}
