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
                writeNumericArray(unsafeBitCast(value, to: [Int].self), as: .int64)
            } else if type == KnownTypes.int64s {
                writeNumericArray(unsafeBitCast(value, to: [Int64].self), as: .int64)
            } else if type == KnownTypes.int32s {
                writeNumericArray(unsafeBitCast(value, to: [Int32].self), as: .int32)
            } else if type == KnownTypes.floats {
                writeNumericArray(unsafeBitCast(value, to: [Float].self), as: .float32)
            } else if type == KnownTypes.strings {
                let array = unsafeBitCast(value, to: [String].self)
                writeArrayHeader(array.count)
                for element in array { writeString(element) }
            } else if type == KnownTypes.doubles {
                writeNumericArray(unsafeBitCast(value, to: [Double].self), as: .float64)
            } else {
                return false
            }
        }
        return true
    }
}

extension MessagePackWriter {
    /// Writes a 128-bit integer that fits 64 bits; throws for one that does not.
    mutating func writeWide<T: BinaryInteger>(_ value: T, path: [any CodingKey]) throws {
        if let small = Int64(exactly: value) {
            writeInt(small)
        } else if let small = UInt64(exactly: value) {
            writeUInt(small)
        } else {
            throw EncodingError.invalidValue(
                value,
                EncodingError.Context(codingPath: path, debugDescription: "\(value) does not fit MessagePack's 64-bit integers")
            )
        }
    }
}
