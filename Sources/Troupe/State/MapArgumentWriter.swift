import TroupeWire

/// Builds a MessagePack map argument, encoding each key and value in place: one buffer for
/// the whole map, with no array per value.
struct MapArgumentWriter {
    private var writer: MessagePackWriter
    private let encoder = MessagePackEncoder()

    init(count: Int) {
        writer = MessagePackWriter(capacity: 16 + count * 16)
        writer.writeMapHeader(count)
    }

    /// Appends one pair.
    /// - Throws: the encoder's error when the key or the value cannot be encoded.
    mutating func append<Key: Encodable, Value: Encodable>(_ key: Key, _ value: Value) throws {
        try encoder.encode(key, into: &writer)
        try encoder.encode(value, into: &writer)
    }

    /// Appends every pair in one loop compiled for their types, when the keys are `Int` or
    /// `String` and the values `Int`, `Double`, `String` or `Bool` (a shared dictionary's usual
    /// shapes). Called from generic code, ``append(_:_:)`` costs a few dynamic type checks and
    /// witness calls per pair, several times the encoding itself.
    /// - Returns: false, having written nothing, for pairs of other types.
    mutating func appendScalarPairs<Key, Value>(_ pairs: [(Key, Value)]) -> Bool {
        // The casts below only rename the types: each branch has checked that they are the same.
        if Key.self == Int.self {
            return appendScalarValues(unsafeBitCast(pairs, to: [(Int, Value)].self)) { $0.writeInt(Int64($1)) }
        }
        if Key.self == String.self {
            return appendScalarValues(unsafeBitCast(pairs, to: [(String, Value)].self)) { $0.writeString($1) }
        }
        return false
    }

    @inline(__always)
    private mutating func appendScalarValues<Key, Value>(_ pairs: [(Key, Value)],
                                                         key: (inout MessagePackWriter, Key) -> Void) -> Bool {
        if Value.self == Int.self {
            appendAll(unsafeBitCast(pairs, to: [(Key, Int)].self), key: key) { $0.writeInt(Int64($1)) }
        } else if Value.self == Double.self {
            appendAll(unsafeBitCast(pairs, to: [(Key, Double)].self), key: key) { $0.writeDouble($1) }
        } else if Value.self == String.self {
            appendAll(unsafeBitCast(pairs, to: [(Key, String)].self), key: key) { $0.writeString($1) }
        } else if Value.self == Bool.self {
            appendAll(unsafeBitCast(pairs, to: [(Key, Bool)].self), key: key) { $0.writeBool($1) }
        } else {
            return false
        }
        return true
    }

    @inline(__always)
    private mutating func appendAll<Key, Value>(_ pairs: [(Key, Value)], key: (inout MessagePackWriter, Key) -> Void,
                                                value: (inout MessagePackWriter, Value) -> Void) {
        for (k, v) in pairs {
            key(&writer, k)
            value(&writer, v)
        }
    }

    var bytes: [UInt8] { writer.bytes }
}
