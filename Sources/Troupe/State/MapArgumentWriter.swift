import TroupeWire

/// Builds a MessagePack map argument from keys and values already encoded.
struct MapArgumentWriter {
    private var writer: MessagePackWriter

    init(count: Int) {
        writer = MessagePackWriter(capacity: 16 + count * 16)
        writer.writeMapHeader(count)
    }

    mutating func append(_ key: [UInt8], _ value: [UInt8]) {
        writer.writeRaw(key)
        writer.writeRaw(value)
    }

    var bytes: [UInt8] { writer.bytes }
}
