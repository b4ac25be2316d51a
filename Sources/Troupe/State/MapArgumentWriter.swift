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

    var bytes: [UInt8] { writer.bytes }
}
