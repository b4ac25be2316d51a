/// A dictionary held by a shared-state owner: Python's `Manager().dict()`.
///
/// Every operation runs at the owner, atomically. The proxy is `Codable`: pass it as an
/// argument of a distributed call and the worker gets a live proxy to the same dictionary.
/// ```swift
/// let dictionary: SharedDictionary<Int, Int> = try await manager.dictionary()
/// try await dictionary.set(1, 101)
/// let total = try await dictionary.increment(7, by: 1)
/// ```
public struct SharedDictionary<Key: Codable & Hashable & Sendable, Value: Codable & Sendable>: Sendable, Codable {
    let client: StateClient

    init(client: StateClient) { self.client = client }

    public init(from decoder: any Decoder) throws { client = try StateClient.decode(from: decoder) }

    public func encode(to encoder: any Encoder) throws { try client.encode(to: encoder) }

    /// Where the dictionary lives.
    public var reference: SharedStateReference { client.reference }

    /// The value for `key`, or nil when the key is absent.
    public func get(_ key: Key) async throws -> Value? {
        try await client.perform("get", [client.encode(key)], as: Value?.self)
    }

    /// The value for `key`, or nil when the key is absent (`try await dictionary[key]`).
    public subscript(key: Key) -> Value? {
        get async throws { try await get(key) }
    }

    /// Stores `value` for `key`.
    public func set(_ key: Key, _ value: Value) async throws {
        _ = try await client.perform("set", [client.encode(key), client.encode(value)])
    }

    /// Removes `key`; returns the value it had, if any.
    @discardableResult
    public func remove(_ key: Key) async throws -> Value? {
        try await client.perform("remove", [client.encode(key)], as: Value?.self)
    }

    /// Whether `key` is present.
    public func contains(_ key: Key) async throws -> Bool {
        try await client.perform("contains", [client.encode(key)], as: Bool.self)
    }

    /// The keys, in insertion order.
    public func keys() async throws -> [Key] {
        try await client.perform("keys", as: [Key].self)
    }

    /// The values, in insertion order of their keys.
    public func values() async throws -> [Value] {
        try await client.perform("values", as: [Value].self)
    }

    /// The number of entries.
    public func count() async throws -> Int {
        try await client.perform("count", as: Int.self)
    }

    /// Stores every entry of `entries`, in one round trip and one atomic step.
    public func update(_ entries: [Key: Value]) async throws {
        try await update(entries.map { ($0.key, $0.value) })
    }

    /// Stores every pair, in order, in one round trip and one atomic step.
    public func update(_ pairs: [(Key, Value)]) async throws {
        var writer = MapArgumentWriter(count: pairs.count)
        for (key, value) in pairs { try writer.append(client.encode(key), client.encode(value)) }
        _ = try await client.perform("update", [writer.bytes])
    }

    /// The values for `keys` (nil for each absent key), in one round trip.
    public func values(for keys: [Key]) async throws -> [Value?] {
        try await client.perform("getMany", [client.encode(keys)], as: [Value?].self)
    }

    /// A copy of the whole dictionary, taken atomically.
    public func snapshot() async throws -> [Key: Value] {
        let bytes = try await client.perform("snapshot")
        return Dictionary(try client.decodePairs(bytes, operation: "snapshot", as: (Key.self, Value.self))) { _, last in last }
    }

    /// Removes every entry.
    public func removeAll() async throws {
        _ = try await client.perform("clear")
    }

    /// Adds `delta` to the value for `key` (an absent key counts as zero) and returns the
    /// new value, atomically: concurrent increments from many processes lose no update.
    @discardableResult
    public func increment(_ key: Key, by delta: Value) async throws -> Value where Value: Numeric {
        try await client.perform("increment", [client.encode(key), client.encode(delta)], as: Value.self)
    }

    /// Stores `desired` for `key` only if its value is `expected` (nil: only if absent).
    /// - Returns: whether it was stored, and the value before the operation.
    public func compareExchange(_ key: Key, expected: Value?, desired: Value) async throws -> (exchanged: Bool, original: Value?)
    where Value: Equatable {
        let bytes = try await client.perform("compareExchange", [client.encode(key), client.encode(expected), client.encode(desired)])
        let answer = try client.decode(CompareExchangeAnswer<Value>.self, from: bytes, operation: "compareExchange")
        return (answer.exchanged, answer.original)
    }
}

/// The answer of `compareExchange`: [exchanged, original].
struct CompareExchangeAnswer<Value: Decodable>: Decodable {
    let exchanged: Bool
    let original: Value?

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        exchanged = try container.decode(Bool.self)
        original = try container.decodeIfPresent(Value.self)
    }
}
