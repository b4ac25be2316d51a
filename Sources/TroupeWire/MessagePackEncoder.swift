/// Encodes `Encodable` values as MessagePack.
///
/// The mapping (Protocol 1, "Payload encoding"):
/// - keyed containers (structs, classes, enums with associated values) become maps with `str`
///   keys, the `CodingKey.stringValue`s, in the order the type encodes them; `nil` optionals are
///   left out, as synthesized `Encodable` does;
/// - unkeyed containers (arrays, sets) become arrays;
/// - integers become `int` in their smallest form, `Float` a `float 32`, `Double` a `float 64`,
///   `Bool` a bool, `String` a `str`, `nil` a `nil`;
/// - `[UInt8]` becomes a `bin`; ``MessagePackValue`` is written as it is.
///
/// Keyed containers are written as they are filled, their header growing from `fixmap` to
/// `map 16` to `map 32` as entries arrive, so the encoder needs no intermediate tree. This is
/// correct whenever containers are filled one after the other — which is how synthesized
/// `Encodable` and every ordinary hand-written `encode(to:)` use them. Going back to an outer
/// container after starting a nested one, and then back to the nested one, is not supported
/// (the bytes would interleave).
///
/// An encoder is a value: configure it once and share it across threads.
public struct MessagePackEncoder: Sendable {
    /// Values handed to every `encode(to:)` through `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// `userInfo` typed as `Decoder.userInfo` and `Encoder.userInfo` require: made only for
    /// a value that goes through `Codable` (scalars and the arrays read directly never
    /// look at it), since the conversion allocates.
    private var userInfoForCoding: [CodingUserInfoKey: Any] { userInfo.mapValues { $0 as Any } }

    /// Creates an encoder.
    /// - Parameter userInfo: Values handed to every `encode(to:)` through `Encoder.userInfo`.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// Encodes a value.
    /// - Parameter value: The value to encode.
    /// - Returns: The value's MessagePack encoding.
    /// - Throws: `EncodingError` when the value's `encode(to:)` throws or misuses its containers,
    ///   or when an `Int128`/`UInt128` does not fit 64 bits.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var writer = MessagePackWriter(capacity: 64)
        try encode(value, into: &writer)
        return writer.bytes
    }

    /// Encodes a value at the end of a writer, with no intermediate array.
    ///
    /// On error the writer is left as it was.
    /// - Parameters:
    ///   - value: The value to encode.
    ///   - writer: The writer to append the encoding to.
    /// - Throws: `EncodingError` when the value's `encode(to:)` throws or misuses its containers,
    ///   or when an `Int128`/`UInt128` does not fit 64 bits.
    public func encode<T: Encodable>(_ value: T, into writer: inout MessagePackWriter) throws {
        if writer.writePrimitive(value) { return }
        let encoder = MessagePackEncoderImpl(userInfo: userInfoForCoding)
        let start = writer.count
        swap(&encoder.writer, &writer)
        defer { swap(&encoder.writer, &writer) }
        do {
            try encoder.encodeComposite(value)
            if encoder.misused { throw encoder.misuseError }
        } catch {
            encoder.writer.bytes.removeSubrange(start...)
            throw error
        }
    }
}
