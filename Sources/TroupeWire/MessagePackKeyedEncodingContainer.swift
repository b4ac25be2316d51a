/// A keyed container being written as a MessagePack map whose header, at `header`, counts the
/// entries as they are added.
struct MessagePackKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: MessagePackEncoderImpl
    let header: Int
    /// The length of the encoder's coding path when the container was made.
    let pathDepth: Int
    /// Keys of the container's path beyond the encoder's (for nested containers).
    let extraPath: [any CodingKey]

    var codingPath: [any CodingKey] { encoder.path(depth: pathDepth, extra: extraPath) }

    @inline(__always)
    private func add(_ key: some CodingKey) {
        encoder.writer.incrementContainerCount(at: header)
        encoder.writer.writeString(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { add(key); encoder.writer.writeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { add(key); encoder.writer.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { add(key); encoder.writer.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { add(key); encoder.writer.writeDouble(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { add(key); encoder.writer.writeFloat(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { add(key); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { add(key); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { add(key); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { add(key); encoder.writer.writeInt(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { add(key); encoder.writer.writeInt(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { add(key); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { add(key); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { add(key); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { add(key); encoder.writer.writeUInt(UInt64(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { add(key); encoder.writer.writeUInt(value) }

    @available(macOS 15.0, *)
    mutating func encode(_ value: Int128, forKey key: Key) throws {
        add(key)
        try encoder.writer.writeWide(value, path: codingPath + [key])
    }

    @available(macOS 15.0, *)
    mutating func encode(_ value: UInt128, forKey key: Key) throws {
        add(key)
        try encoder.writer.writeWide(value, path: codingPath + [key])
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        add(key)
        try encoder.encodeNested(value, extraPath: extraPath, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        add(key)
        let offset = encoder.writer.count
        encoder.writer.bytes.append(0x80)
        return KeyedEncodingContainer(MessagePackKeyedEncodingContainer<NestedKey>(encoder: encoder, header: offset, pathDepth: pathDepth, extraPath: extraPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        add(key)
        let offset = encoder.writer.count
        encoder.writer.bytes.append(0x90)
        return MessagePackUnkeyedEncodingContainer(encoder: encoder, header: offset, pathDepth: pathDepth, extraPath: extraPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        makeSuperEncoder(key: MessagePackCodingKey.super)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        makeSuperEncoder(key: key)
    }

    private func makeSuperEncoder(key: some CodingKey) -> any Encoder {
        add(key)
        let offset = encoder.writer.count
        encoder.writer.bytes.append(0x80)
        return MessagePackSuperEncoder(encoder: encoder, slot: offset, pathDepth: pathDepth, extraPath: extraPath + [key])
    }
}
