/// The types the coders read and write directly, without going through `Codable`.
enum PrimitiveKind: UInt8 {
    case string, int, double, bool, int64, uint64, int32, uint32, uint8, int8, int16, uint16, uint, float
    case value, bytes, ints, strings, doubles, floats, int64s, int32s
    /// Arrays of optionals (what a lookup of many keys answers): each element a value or `nil`.
    case optionalInts, optionalStrings, optionalDoubles, optionalInt64s

    /// The kind of `type`, or `nil` when it goes through `Codable`.
    @inline(__always)
    init?<T>(_ type: T.Type) {
        if T.self == String.self { self = .string }
        else if T.self == Int.self { self = .int }
        else if T.self == Double.self { self = .double }
        else if T.self == Bool.self { self = .bool }
        else if T.self == Int64.self { self = .int64 }
        else if T.self == UInt64.self { self = .uint64 }
        else if T.self == Int32.self { self = .int32 }
        else if T.self == UInt32.self { self = .uint32 }
        else if T.self == UInt8.self { self = .uint8 }
        else if T.self == Int8.self { self = .int8 }
        else if T.self == Int16.self { self = .int16 }
        else if T.self == UInt16.self { self = .uint16 }
        else if T.self == UInt.self { self = .uint }
        else if T.self == Float.self { self = .float }
        else if T.self == MessagePackValue.self { self = .value }
        else {
            // Generic types: compare with identities looked up once, not on every call.
            let type = ObjectIdentifier(T.self)
            if type == KnownTypes.bytes { self = .bytes }
            else if type == KnownTypes.ints { self = .ints }
            else if type == KnownTypes.strings { self = .strings }
            else if type == KnownTypes.doubles { self = .doubles }
            else if type == KnownTypes.floats { self = .floats }
            else if type == KnownTypes.int64s { self = .int64s }
            else if type == KnownTypes.int32s { self = .int32s }
            else if type == KnownTypes.optionalInts { self = .optionalInts }
            else if type == KnownTypes.optionalStrings { self = .optionalStrings }
            else if type == KnownTypes.optionalDoubles { self = .optionalDoubles }
            else if type == KnownTypes.optionalInt64s { self = .optionalInt64s }
            else { return nil }
        }
    }
}

/// The identities of the generic types the coders read and write directly. Comparing with
/// `[UInt8].self` directly would look its metadata up in the runtime's cache on every call.
enum KnownTypes {
    static let bytes = ObjectIdentifier([UInt8].self)
    static let ints = ObjectIdentifier([Int].self)
    static let strings = ObjectIdentifier([String].self)
    static let doubles = ObjectIdentifier([Double].self)
    static let floats = ObjectIdentifier([Float].self)
    static let int64s = ObjectIdentifier([Int64].self)
    static let int32s = ObjectIdentifier([Int32].self)
    static let optionalInts = ObjectIdentifier([Int?].self)
    static let optionalStrings = ObjectIdentifier([String?].self)
    static let optionalDoubles = ObjectIdentifier([Double?].self)
    static let optionalInt64s = ObjectIdentifier([Int64?].self)
}
