/// An error found while reading or checking bytes off the wire.
///
/// Every `WireError` carries a ``Code`` that says what kind of problem it is (stable, suitable
/// for counting and for a `REJECT` reply) and a ``message`` that says what happened and where,
/// in terms of the byte ``offset`` into the frame being read. Messages never quote payload
/// bytes beyond a few header bytes, so they are safe to log.
public struct WireError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The kind of a ``WireError``: a small, stable, string-valued code.
    ///
    /// The raw values are the strings used on the wire (in `REJECT` envelopes) and in the test
    /// vectors of `Protocols/1-envelope-vectors.json`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as it appears on the wire, for example `"truncated"`.
        public var rawValue: String

        /// Creates a code from its wire spelling.
        /// - Parameter rawValue: The code's wire spelling; unknown spellings are kept as they are.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The input ended before a value (or a length it announced) was complete.
        public static let truncated = Code(rawValue: "truncated")
        /// The bytes are not valid MessagePack, or not the shape the protocol requires.
        public static let malformed = Code(rawValue: "malformed")
        /// A value has a different MessagePack type than the reader asked for.
        public static let typeMismatch = Code(rawValue: "typeMismatch")
        /// A `str` value is not valid UTF-8.
        public static let invalidUTF8 = Code(rawValue: "invalidUTF8")
        /// Arrays and maps are nested deeper than the reader's limit.
        public static let nestingTooDeep = Code(rawValue: "nestingTooDeep")
        /// An integer does not fit the type it is read as.
        public static let integerOverflow = Code(rawValue: "integerOverflow")
        /// The signature frame is not `54 52 50 <version>`.
        public static let badSignature = Code(rawValue: "badSignature")
        /// The signature frame names a protocol version this implementation does not speak.
        public static let unsupportedVersion = Code(rawValue: "unsupportedVersion")
        /// An envelope's kind number is not one the protocol defines.
        public static let unknownKind = Code(rawValue: "unknownKind")
        /// Bytes follow the value (or the last envelope) that should have ended the input.
        public static let trailingBytes = Code(rawValue: "trailingBytes")
        /// The input is larger than the configured limit.
        public static let tooLarge = Code(rawValue: "tooLarge")

        /// The code's wire spelling.
        public var description: String { rawValue }
    }

    /// What kind of problem this is.
    public var code: Code
    /// What happened, to what, and where (the byte offset is included when there is one).
    public var message: String
    /// The byte offset into the input where the problem was found, when there is one.
    public var offset: Int?

    /// Creates a wire error.
    /// - Parameters:
    ///   - code: The kind of problem.
    ///   - message: What happened and to what; the offset is appended by ``description``.
    ///   - offset: The byte offset where the problem was found, if any.
    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// A one-line description: the code, the message and the offset.
    public var description: String {
        if let offset {
            return "\(code.rawValue) at byte \(offset): \(message)"
        }
        return "\(code.rawValue): \(message)"
    }
}
