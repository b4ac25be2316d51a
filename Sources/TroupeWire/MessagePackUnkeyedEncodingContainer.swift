/// An unkeyed container being written as a MessagePack array whose header, at `header`, counts
/// the elements as they are added.
struct MessagePackUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: MessagePackEncoderImpl
    let header: Int
    /// The length of the encoder's coding path when the container was made.
    let pathDepth: Int
    /// Keys of the container's path beyond the encoder's (for nested containers).
    let extraPath: [any CodingKey]

    var codingPath: [any CodingKey] { encoder.path(depth: pathDepth, extra: extraPath) }

    var count: Int { encoder.writer.containerCount(at: header) }

    @inline(__always)
    private func add() {
        encoder.writer.incrementContainerCount(at: header)
    }

    mutating func encodeNil() throws { add(); encoder.writer.writeNil() }
    mutating func encode(_ value: Bool) throws { add(); encoder.writer.writeBool(value) }
    mutating func encode(_ value: String) throws { add(); encoder.writer.writeString(value) }
    mutating func encode(_ value: Double) throws { add(); encoder.writer.writeDouble(value) }
    mutating func encode(_ value: Float) throws { add(); encoder.writer.writeFloat(value) }
    mutating func encode(_ value: Int) throws { add(); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int8) throws { add(); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int16) throws { add(); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int32) throws { add(); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int64) throws { add(); encoder.writer.writeInt(value) }
    mutating func encode(_ value: UInt) throws { add(); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { add(); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { add(); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { add(); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { add(); encoder.writer.writeUInt(value) }

    @available(macOS 15.0, *)
    mutating func encode(_ value: Int128) throws {
        let index = count
        add()
        try encoder.writer.writeWide(value, path: codingPath + [MessagePackCodingKey(index: index)])
    }

    @available(macOS 15.0, *)
    mutating func encode(_ value: UInt128) throws {
        let index = count
        add()
        try encoder.writer.writeWide(value, path: codingPath + [MessagePackCodingKey(index: index)])
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        add()
        try encoder.encodeNested(value, extraPath: extraPath, key: MessagePackCodingKey(index: index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = count
        add()
        let offset = encoder.writer.count
        encoder.writer.bytes.append(0x80)
        return KeyedEncodingContainer(MessagePackKeyedEncodingContainer<NestedKey>(encoder: encoder, header: offset, pathDepth: pathDepth, extraPath: extraPath + [MessagePackCodingKey(index: index)]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = count
        add()
        let offset = encoder.writer.count
        encoder.writer.bytes.append(0x90)
        return MessagePackUnkeyedEncodingContainer(encoder: encoder, header: offset, pathDepth: pathDepth, extraPath: extraPath + [MessagePackCodingKey(index: index)])
    }

    mutating func superEncoder() -> any Encoder {
        let index = count
        add()
        let offset = encoder.writer.count
        encoder.writer.bytes.append(0x80)
        return MessagePackSuperEncoder(encoder: encoder, slot: offset, pathDepth: pathDepth, extraPath: extraPath + [MessagePackCodingKey(index: index)])
    }
}
