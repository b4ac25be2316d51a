/// The encoder returned by `superEncoder()`: it owns one slot (a placeholder already written
/// after the `"super"` key or as the next array element) and writes through the main encoder.
/// It must be used before anything else is added to the container that made it.
final class MessagePackSuperEncoder: Encoder, SingleValueEncodingContainer {
    let encoder: MessagePackEncoderImpl
    let slot: Int
    var slotState = MessagePackEncoderImpl.SlotState.empty
    let pathDepth: Int
    let extraPath: [any CodingKey]

    init(encoder: MessagePackEncoderImpl, slot: Int, pathDepth: Int, extraPath: [any CodingKey]) {
        self.encoder = encoder
        self.slot = slot
        self.pathDepth = pathDepth
        self.extraPath = extraPath
    }

    var codingPath: [any CodingKey] { encoder.path(depth: pathDepth, extra: extraPath) }
    var userInfo: [CodingUserInfoKey: Any] { encoder.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let header = encoder.claimContainer(slot: slot, state: &slotState, keyed: true, path: codingPath)
        return KeyedEncodingContainer(MessagePackKeyedEncodingContainer<Key>(encoder: encoder, header: header, pathDepth: pathDepth, extraPath: extraPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let header = encoder.claimContainer(slot: slot, state: &slotState, keyed: false, path: codingPath)
        return MessagePackUnkeyedEncodingContainer(encoder: encoder, header: header, pathDepth: pathDepth, extraPath: extraPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        self
    }

    private func claim() throws {
        try encoder.claimSingleValue(slot: slot, state: &slotState, path: codingPath)
    }

    func encodeNil() throws { try claim(); encoder.writer.writeNil() }
    func encode(_ value: Bool) throws { try claim(); encoder.writer.writeBool(value) }
    func encode(_ value: String) throws { try claim(); encoder.writer.writeString(value) }
    func encode(_ value: Double) throws { try claim(); encoder.writer.writeDouble(value) }
    func encode(_ value: Float) throws { try claim(); encoder.writer.writeFloat(value) }
    func encode(_ value: Int) throws { try claim(); encoder.writer.writeInt(Int64(value)) }
    func encode(_ value: Int8) throws { try claim(); encoder.writer.writeInt(Int64(value)) }
    func encode(_ value: Int16) throws { try claim(); encoder.writer.writeInt(Int64(value)) }
    func encode(_ value: Int32) throws { try claim(); encoder.writer.writeInt(Int64(value)) }
    func encode(_ value: Int64) throws { try claim(); encoder.writer.writeInt(value) }
    func encode(_ value: UInt) throws { try claim(); encoder.writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt8) throws { try claim(); encoder.writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt16) throws { try claim(); encoder.writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt32) throws { try claim(); encoder.writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt64) throws { try claim(); encoder.writer.writeUInt(value) }

    @available(macOS 15.0, *)
    func encode(_ value: Int128) throws {
        try claim()
        try encoder.writer.writeWide(value, path: codingPath)
    }

    @available(macOS 15.0, *)
    func encode(_ value: UInt128) throws {
        try claim()
        try encoder.writer.writeWide(value, path: codingPath)
    }

    func encode<T: Encodable>(_ value: T) throws {
        try claim()
        try encoder.encodeNested(value, extraPath: extraPath, key: nil)
    }
}
