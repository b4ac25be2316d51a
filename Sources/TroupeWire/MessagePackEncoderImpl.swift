/// The `Encoder` handed to `encode(to:)`: one per top-level `encode` call, shared by every
/// nested value. It owns the writer while encoding, and tracks the *slot* of the value being
/// encoded now — the offset of a one-byte placeholder (an empty `fixmap`) that becomes the
/// value's container header, or is replaced by its single value.
final class MessagePackEncoderImpl: Encoder, SingleValueEncodingContainer {
    /// What the value in the current slot has become so far.
    enum SlotState {
        /// Nothing yet: the slot holds the `0x80` placeholder (an empty map, which is also what
        /// a value that encodes nothing ends up as).
        case empty
        /// The placeholder is the header of a keyed container.
        case keyed
        /// The placeholder is the header of an unkeyed container.
        case unkeyed
        /// The placeholder was replaced by a single value.
        case single
    }

    // The mutable state is `@exclusivity(unchecked)`: an encoder is used by the one thread
    // running its `encode` call and never escapes it, and the dynamic checks Swift would
    // otherwise make on every access to a class property cost more than the encoding itself.

    @exclusivity(unchecked) var writer = MessagePackWriter()
    @exclusivity(unchecked) var codingPath: [any CodingKey] = []
    let userInfo: [CodingUserInfoKey: Any]
    /// The offset of the current value's placeholder or header.
    @exclusivity(unchecked) var slot = 0
    @exclusivity(unchecked) var slotState = SlotState.empty
    /// The first misuse of containers that could not be thrown where it happened (container
    /// requests do not throw); the top-level `encode` throws it.
    @exclusivity(unchecked) var misused = false
    var misuse: (what: String, path: [any CodingKey])?

    /// The error for the first misuse.
    var misuseError: EncodingError {
        let (what, path) = misuse ?? ("container", [])
        return EncodingError.invalidValue(
            what,
            EncodingError.Context(codingPath: path, debugDescription: "\(what): a value must use exactly one container (or one single value)")
        )
    }

    init(userInfo: [CodingUserInfoKey: Any]) {
        self.userInfo = userInfo
    }

    // MARK: Values

    /// Encodes a value that is not a primitive into a new slot at the end of the writer.
    func encodeComposite<T: Encodable>(_ value: T) throws {
        let savedSlot = slot
        let savedState = slotState
        slot = writer.count
        slotState = .empty
        writer.bytes.append(0x80)
        defer {
            slot = savedSlot
            slotState = savedState
        }
        try value.encode(to: self)
    }

    /// Encodes a value nested under `extraPath` + `key` (relative to the current path).
    func encodeNested<T: Encodable>(_ value: T, extraPath: [any CodingKey], key: (any CodingKey)?) throws {
        if writer.writePrimitive(value) { return }
        let pushed = extraPath.count + (key == nil ? 0 : 1)
        if !extraPath.isEmpty { codingPath.append(contentsOf: extraPath) }
        if let key { codingPath.append(key) }
        defer { if pushed > 0 { codingPath.removeLast(pushed) } }
        try encodeComposite(value)
    }

    /// The coding path of a container made when the path was `depth` keys long, plus `extra`.
    func path(depth: Int, extra: [any CodingKey]) -> [any CodingKey] {
        var path = Array(codingPath.prefix(depth))
        path.append(contentsOf: extra)
        return path
    }

    func recordMisuse(_ what: String, path: [any CodingKey]) {
        if !misused {
            misused = true
            misuse = (what, path)
        }
    }

    /// Makes the slot at `slot` (in state `state`) a container header; returns its offset.
    /// On misuse it records the error and returns a fresh, harmless header at the end.
    func claimContainer(slot: Int, state: inout SlotState, keyed: Bool, path: [any CodingKey]) -> Int {
        switch (state, keyed) {
        case (.empty, true):
            state = .keyed
            return slot
        case (.empty, false):
            writer.bytes[slot] = 0x90
            state = .unkeyed
            return slot
        case (.keyed, true), (.unkeyed, false):
            return slot
        default:
            recordMisuse(keyed ? "keyed container requested for a value already encoded otherwise" : "unkeyed container requested for a value already encoded otherwise", path: path)
            let offset = writer.count
            writer.bytes.append(keyed ? 0x80 : 0x90)
            return offset
        }
    }

    /// Replaces the placeholder at `slot` so that a single value can be written in its place.
    func claimSingleValue(slot: Int, state: inout SlotState, path: [any CodingKey]) throws {
        guard case .empty = state, writer.count == slot + 1 else {
            throw EncodingError.invalidValue(
                "single value",
                EncodingError.Context(codingPath: path, debugDescription: "a single value container was used after the value was already encoded, or after other values were written")
            )
        }
        writer.bytes.removeLast()
        state = .single
    }

    // MARK: Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let header = claimContainer(slot: slot, state: &slotState, keyed: true, path: codingPath)
        return KeyedEncodingContainer(MessagePackKeyedEncodingContainer<Key>(encoder: self, header: header, pathDepth: codingPath.count, extraPath: []))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let header = claimContainer(slot: slot, state: &slotState, keyed: false, path: codingPath)
        return MessagePackUnkeyedEncodingContainer(encoder: self, header: header, pathDepth: codingPath.count, extraPath: [])
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        self
    }

    // MARK: SingleValueEncodingContainer

    @inline(__always)
    private func claim() throws {
        try claimSingleValue(slot: slot, state: &slotState, path: codingPath)
    }

    func encodeNil() throws { try claim(); writer.writeNil() }
    func encode(_ value: Bool) throws { try claim(); writer.writeBool(value) }
    func encode(_ value: String) throws { try claim(); writer.writeString(value) }
    func encode(_ value: Double) throws { try claim(); writer.writeDouble(value) }
    func encode(_ value: Float) throws { try claim(); writer.writeFloat(value) }
    func encode(_ value: Int) throws { try claim(); writer.writeInt(Int64(value)) }
    func encode(_ value: Int8) throws { try claim(); writer.writeInt(Int64(value)) }
    func encode(_ value: Int16) throws { try claim(); writer.writeInt(Int64(value)) }
    func encode(_ value: Int32) throws { try claim(); writer.writeInt(Int64(value)) }
    func encode(_ value: Int64) throws { try claim(); writer.writeInt(value) }
    func encode(_ value: UInt) throws { try claim(); writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt8) throws { try claim(); writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt16) throws { try claim(); writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt32) throws { try claim(); writer.writeUInt(UInt64(value)) }
    func encode(_ value: UInt64) throws { try claim(); writer.writeUInt(value) }

    @available(macOS 15.0, *)
    func encode(_ value: Int128) throws {
        try claim()
        try writer.writeWide(value, path: codingPath)
    }

    @available(macOS 15.0, *)
    func encode(_ value: UInt128) throws {
        try claim()
        try writer.writeWide(value, path: codingPath)
    }

    func encode<T: Encodable>(_ value: T) throws {
        try claim()
        try encodeNested(value, extraPath: [], key: nil)
    }
}
