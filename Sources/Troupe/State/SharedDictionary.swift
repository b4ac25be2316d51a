/// A dictionary held by a shared-state owner: Python's `Manager().dict()`.
///
/// Every operation runs at the owner, atomically. The proxy is `Codable`: pass it as an
/// argument of a distributed call and the worker gets a live proxy to the same dictionary.
/// ```swift
/// let dictionary: SharedDictionary<Int, Int> = try await manager.dictionary()
/// try await dictionary.set(1, to: 101)
/// let total = try await dictionary.increment(7, by: 1)
/// ```
public struct SharedDictionary<Key: Codable & Hashable & Sendable, Value: Codable & Sendable>: Sendable, Codable {
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

    /// Where the dictionary lives.
    public var reference: SharedStateReference { client.reference }

    /// The value for `key`, or nil when the key is absent.
    /// - Parameter key: the key to look up.
    /// - Returns: its value, or nil.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func get(_ key: Key) async throws -> Value? {
        try await client.perform("get", [client.encode(key)], as: Value?.self)
    }

    /// The value for `key`, or nil when the key is absent (`try await dictionary[key]`).
    /// - Parameter key: the key to look up.
    public subscript(key: Key) -> Value? {
        get async throws { try await get(key) }
    }

    /// Stores `value` for `key`.
    /// - Parameters:
    ///   - key: the key.
    ///   - value: its new value.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func set(_ key: Key, to value: Value) async throws {
        _ = try await client.perform("set", [client.encode(key), client.encode(value)])
    }

    /// Removes `key`.
    /// - Parameter key: the key to remove.
    /// - Returns: the value it had, or nil when it was absent.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    @discardableResult
    public func remove(_ key: Key) async throws -> Value? {
        try await client.perform("remove", [client.encode(key)], as: Value?.self)
    }

    /// Whether `key` is present.
    /// - Parameter key: the key to look for.
    /// - Returns: true when the dictionary holds `key`.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func contains(_ key: Key) async throws -> Bool {
        try await client.perform("contains", [client.encode(key)], as: Bool.self)
    }

    /// The keys, in insertion order.
    /// - Returns: every key.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func keys() async throws -> [Key] {
        try await client.perform("keys", as: [Key].self)
    }

    /// The values, in insertion order of their keys.
    /// - Returns: every value.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func values() async throws -> [Value] {
        try await client.perform("values", as: [Value].self)
    }

    /// The number of entries (`try await dictionary.count`), asked of the owner.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public var count: Int {
        get async throws { try await client.perform("count", as: Int.self) }
    }

    /// Stores every entry of `entries`, in one round trip and one atomic step (Python's `update`).
    /// - Parameter entries: the keys and their new values.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func update(_ entries: [Key: Value]) async throws {
        try await update(entries.map { ($0.key, $0.value) })
    }

    /// Stores every pair, in order, in one round trip and one atomic step; a key given twice
    /// keeps its last value.
    /// - Parameter pairs: the keys and their new values.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func update(_ pairs: [(Key, Value)]) async throws {
        _ = try await client.perform("update", [client.encodeMap(pairs, count: pairs.count)])
    }

    /// The values for `keys`, in one round trip.
    /// - Parameter keys: the keys to look up.
    /// - Returns: one value per key, in order; nil for each absent key.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func values(for keys: [Key]) async throws -> [Value?] {
        try await client.perform("getMany", [client.encode(keys)], as: [Value?].self)
    }

    /// A copy of the whole dictionary, taken atomically, in one round trip.
    /// - Returns: every entry.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func snapshot() async throws -> [Key: Value] {
        let bytes = try await client.perform("snapshot")
        return Dictionary(try client.decodePairs(bytes, operation: "snapshot", as: (Key.self, Value.self))) { _, last in last }
    }

    /// Removes every entry.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    public func removeAll() async throws {
        _ = try await client.perform("clear")
    }

    /// Adds `delta` to the value for `key` (an absent key counts as zero) and returns the
    /// new value, atomically: concurrent increments from many processes lose no update.
    /// - Parameters:
    ///   - key: the key whose value to increase.
    ///   - delta: what to add.
    /// - Returns: the new value.
    /// - Throws: ``TroupeError`` `.typeMismatch` when the stored value is not a number,
    ///   `.invalidArgument` when the sum overflows, or `.ownerUnavailable`.
    @discardableResult
    public func increment(_ key: Key, by delta: Value) async throws -> Value where Value: Numeric {
        try await client.perform("increment", [client.encode(key), client.encode(delta)], as: Value.self)
    }

    /// Adds each amount to the value of its key (an absent key counts as zero), all in one
    /// round trip and one atomic step: a word count sends a chunk's counts at once, and no
    /// other process sees some of them added and not others.
    /// - Parameter deltas: what to add to each key.
    /// - Throws: ``TroupeError`` `.typeMismatch` when a stored value is not a number (then
    ///   nothing is added), `.invalidArgument` when a sum overflows, or `.ownerUnavailable`.
    public func increment(_ deltas: [Key: Value]) async throws where Value: Numeric {
        guard !deltas.isEmpty else { return }
        _ = try await client.perform("incrementMany", [client.encodeMap(deltas.lazy.map { ($0.key, $0.value) }, count: deltas.count)])
    }

    /// Stores `desired` for `key` only if its value is `expected` (nil: only if absent), atomically.
    /// - Parameters:
    ///   - key: the key.
    ///   - expected: the value `key` must have, or nil for an absent key.
    ///   - desired: the value to store.
    /// - Returns: whether it was stored, and the value before the operation.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
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
