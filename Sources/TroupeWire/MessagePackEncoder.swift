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
public struct MessagePackEncoder: @unchecked Sendable {
    // `@unchecked` only because `userInfoForCoding` holds the same values as `userInfo`, typed
    // `Any` as `Encoder.userInfo` requires; every value stored in it is `Sendable`.

    /// Values handed to every `encode(to:)` through `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] {
        didSet { userInfoForCoding = userInfo }
    }

    private var userInfoForCoding: [CodingUserInfoKey: Any]

    /// Creates an encoder.
    /// - Parameter userInfo: Values handed to every `encode(to:)` through `Encoder.userInfo`.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
        self.userInfoForCoding = userInfo
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

extension MessagePackWriter {
    /// Writes `value` directly when its type has a fixed MessagePack form (the scalars,
    /// `[UInt8]` as `bin`, arrays of a few scalars, ``MessagePackValue``).
    /// - Returns: `false`, having written nothing, for every other type.
    @inline(__always)
    mutating func writePrimitive<T>(_ value: T) -> Bool {
        if T.self == String.self {
            writeString(unsafeBitCast(value, to: String.self))
        } else if T.self == Int.self {
            writeInt(Int64(unsafeBitCast(value, to: Int.self)))
        } else if T.self == Double.self {
            writeDouble(unsafeBitCast(value, to: Double.self))
        } else if T.self == Bool.self {
            writeBool(unsafeBitCast(value, to: Bool.self))
        } else if T.self == Int64.self {
            writeInt(unsafeBitCast(value, to: Int64.self))
        } else if T.self == UInt64.self {
            writeUInt(unsafeBitCast(value, to: UInt64.self))
        } else if T.self == Int32.self {
            writeInt(Int64(unsafeBitCast(value, to: Int32.self)))
        } else if T.self == UInt32.self {
            writeUInt(UInt64(unsafeBitCast(value, to: UInt32.self)))
        } else if T.self == UInt8.self {
            writeUInt(UInt64(unsafeBitCast(value, to: UInt8.self)))
        } else if T.self == Int8.self {
            writeInt(Int64(unsafeBitCast(value, to: Int8.self)))
        } else if T.self == Int16.self {
            writeInt(Int64(unsafeBitCast(value, to: Int16.self)))
        } else if T.self == UInt16.self {
            writeUInt(UInt64(unsafeBitCast(value, to: UInt16.self)))
        } else if T.self == UInt.self {
            writeUInt(UInt64(unsafeBitCast(value, to: UInt.self)))
        } else if T.self == Float.self {
            writeFloat(unsafeBitCast(value, to: Float.self))
        } else if T.self == MessagePackValue.self {
            write(unsafeBitCast(value, to: MessagePackValue.self))
        } else {
            // Generic types: compare with identities looked up once, not on every call.
            let type = ObjectIdentifier(T.self)
            if type == KnownTypes.bytes {
                writeBinary(unsafeBitCast(value, to: [UInt8].self))
            } else if type == KnownTypes.ints {
                let array = unsafeBitCast(value, to: [Int].self)
                writeArrayHeader(array.count)
                for element in array { writeInt(Int64(element)) }
            } else if type == KnownTypes.strings {
                let array = unsafeBitCast(value, to: [String].self)
                writeArrayHeader(array.count)
                for element in array { writeString(element) }
            } else if type == KnownTypes.doubles {
                let array = unsafeBitCast(value, to: [Double].self)
                writeArrayHeader(array.count)
                for element in array { writeDouble(element) }
            } else {
                return false
            }
        }
        return true
    }
}

/// The identities of the generic types the coders read and write directly. Comparing with
/// `[UInt8].self` directly would look its metadata up in the runtime's cache on every call.
enum KnownTypes {
    static let bytes = ObjectIdentifier([UInt8].self)
    static let ints = ObjectIdentifier([Int].self)
    static let strings = ObjectIdentifier([String].self)
    static let doubles = ObjectIdentifier([Double].self)
}
