/// Decodes `Decodable` values from MessagePack, straight from the buffer.
///
/// The decoder reads the mapping ``MessagePackEncoder`` writes, and is strict about it while
/// accepting what other MessagePack writers produce for the same values:
/// - a keyed container needs a map; its keys are matched as `str` against
///   `CodingKey.stringValue` (integer keys are accepted and matched by their decimal string);
///   keys the type does not ask for are skipped (but still checked);
/// - an integer of any width is accepted for any integer type it fits; one that does not fit is
///   `DecodingError.dataCorrupted`;
/// - `Double` and `Float` accept either float width, and integers;
/// - `[UInt8]` accepts a `bin` or an array of integers;
/// - a different type is `DecodingError.typeMismatch`, `nil` where a value is needed is
///   `valueNotFound`, a missing key is `keyNotFound`, and truncated or malformed bytes, bytes
///   after the value, or nesting deeper than ``maximumDepth`` are `dataCorrupted` with a
///   ``WireError`` as the underlying error.
///
/// It never traps on bad input, and builds no intermediate tree: keyed lookups follow the order
/// the keys are asked for (the order they were written in, for synthesized `Codable`), falling
/// back to a scan of the map.
///
/// A decoder is a value: configure it once (for example with the actor system in ``userInfo``)
/// and share it across threads.
public struct MessagePackDecoder: Sendable {
    /// Values handed to every `init(from:)` through `Decoder.userInfo` — for example the
    /// distributed actor system under `CodingUserInfoKey.actorSystemKey`, which decoding a
    /// distributed actor reference requires.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// The deepest nesting of arrays and maps to accept (512 unless changed).
    public var maximumDepth: Int

    /// `userInfo` typed as `Decoder.userInfo` and `Encoder.userInfo` require: made only for
    /// a value that goes through `Codable` (scalars and the arrays read directly never
    /// look at it), since the conversion allocates.
    private var userInfoForCoding: [CodingUserInfoKey: Any] { userInfo.mapValues { $0 as Any } }

    /// Creates a decoder.
    /// - Parameters:
    ///   - userInfo: Values handed to every `init(from:)` through `Decoder.userInfo`.
    ///   - maximumDepth: The deepest nesting of arrays and maps to accept.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:], maximumDepth: Int = MessagePackReader.defaultMaximumDepth) {
        self.userInfo = userInfo
        self.maximumDepth = maximumDepth
    }

    /// Decodes a value that fills the whole buffer.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - buffer: The encoded value; nothing may follow it.
    /// - Returns: The decoded value.
    /// - Throws: `DecodingError` (see the type's documentation); bytes after the value are
    ///   `dataCorrupted` with an underlying `trailingBytes` ``WireError``.
    public func decode<T: Decodable>(_ type: T.Type, from buffer: UnsafeRawBufferPointer) throws -> T {
        var reader = MessagePackReader(buffer, maximumDepth: maximumDepth)
        let value = try decode(type, from: &reader)
        guard reader.isAtEnd else {
            let error = WireError(.trailingBytes, "\(reader.remainingCount) bytes follow the \(T.self) value", offset: reader.position)
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: error.description, underlyingError: error))
        }
        return value
    }

    /// Decodes a value that fills the whole array.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: The encoded value; nothing may follow it.
    /// - Returns: The decoded value.
    /// - Throws: `DecodingError`, as for a buffer.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes a value that fills the whole slice.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: The encoded value; nothing may follow it.
    /// - Returns: The decoded value.
    /// - Throws: `DecodingError`, as for a buffer.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: ArraySlice<UInt8>) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes the value at the reader's position and moves the reader past it, leaving any
    /// bytes after it unread (for values inside a larger message).
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - reader: A reader positioned at the value; on success it is moved past the value
    ///     (even the parts of it the type did not read), on error it is left where it was.
    /// - Returns: The decoded value.
    /// - Throws: `DecodingError` (see the type's documentation).
    public func decode<T: Decodable>(_ type: T.Type, from reader: inout MessagePackReader) throws -> T {
        if let kind = PrimitiveKind(T.self) {
            var fast = reader
            fast.maximumDepth = maximumDepth
            do {
                let value = try fast.readPrimitive(kind, as: T.self, depth: 0)
                reader.position = fast.position
                return value
            } catch {
                throw MessagePackDecoderImpl.decodingError(error, type: T.self, bytes: reader.bytes, path: [])
            }
        }
        let start = reader.position
        let decoder = MessagePackDecoderImpl(bytes: reader.bytes, userInfo: userInfoForCoding, maximumDepth: maximumDepth, position: start, depth: 0, codingPath: [])
        var end = -1
        let value = try decoder.decodeComposite(T.self, at: start, depth: 0, extraPath: [], key: nil, end: &end)
        reader.position = end >= 0 ? end : try decoder.end(ofValueAt: start, depth: 0, path: [])
        return value
    }
}
