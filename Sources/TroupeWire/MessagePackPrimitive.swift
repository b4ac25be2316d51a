/// The scalar types the decoder reads straight from the buffer, each with its lenient read:
/// integers accept every integer format whose value fits; `Double` and `Float` also accept
/// integers (as JSON decoders do), converted to the nearest value.
protocol MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Self
}

extension Bool: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Bool { try reader.readBool() }
}

extension String: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> String { try reader.readString() }
}

extension Double: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Double {
        if reader.position < reader.bytes.count, MessagePackType(firstByte: reader.bytes[reader.position]) == .integer {
            let (bits, negative, next) = try reader.integerBits()
            reader.position = next
            return negative ? Double(Int64(bitPattern: bits)) : Double(bits)
        }
        return try reader.readDouble()
    }
}

extension Float: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Float {
        if reader.position < reader.bytes.count, MessagePackType(firstByte: reader.bytes[reader.position]) == .integer {
            let (bits, negative, next) = try reader.integerBits()
            reader.position = next
            return negative ? Float(Int64(bitPattern: bits)) : Float(bits)
        }
        return try reader.readFloat()
    }
}

extension Int: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Int { try reader.readInteger(Int.self) }
}

extension Int8: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Int8 { try reader.readInteger(Int8.self) }
}

extension Int16: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Int16 { try reader.readInteger(Int16.self) }
}

extension Int32: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Int32 { try reader.readInteger(Int32.self) }
}

extension Int64: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Int64 { try reader.readInt() }
}

extension UInt: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> UInt { try reader.readInteger(UInt.self) }
}

extension UInt8: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> UInt8 { try reader.readInteger(UInt8.self) }
}

extension UInt16: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> UInt16 { try reader.readInteger(UInt16.self) }
}

extension UInt32: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> UInt32 { try reader.readInteger(UInt32.self) }
}

extension UInt64: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> UInt64 { try reader.readUInt() }
}

@available(macOS 15.0, *)
extension Int128: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> Int128 {
        let (bits, negative, next) = try reader.integerBits()
        reader.position = next
        return negative ? Int128(Int64(bitPattern: bits)) : Int128(bits)
    }
}

@available(macOS 15.0, *)
extension UInt128: MessagePackPrimitive {
    static func read(from reader: inout MessagePackReader) throws(WireError) -> UInt128 {
        let start = reader.position
        let (bits, negative, next) = try reader.integerBits()
        guard !negative else {
            throw WireError(.integerOverflow, "integer \(Int64(bitPattern: bits)) does not fit UInt128", offset: start)
        }
        reader.position = next
        return UInt128(bits)
    }
}

/// The types the coders read and write directly, without going through `Codable`.
enum PrimitiveKind: UInt8 {
    case string, int, double, bool, int64, uint64, int32, uint32, uint8, int8, int16, uint16, uint, float
    case value, bytes, ints, strings, doubles

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
            else { return nil }
        }
    }
}

extension MessagePackReader {
    /// Reads a value whose type has a fixed MessagePack form straight from the buffer: the
    /// scalars, `[UInt8]` (from `bin` or from an array of integers), arrays of a few scalars,
    /// and ``MessagePackValue``.
    /// - Parameters:
    ///   - kind: `PrimitiveKind(T.self)`.
    ///   - depth: How many arrays and maps enclose the value.
    @inline(__always)
    mutating func readPrimitive<T>(_ kind: PrimitiveKind, as type: T.Type, depth: Int) throws(WireError) -> T {
        switch kind {
        case .string: return unsafeBitCast(try readString(), to: T.self)
        case .int: return unsafeBitCast(try readInteger(Int.self), to: T.self)
        case .double: return unsafeBitCast(try Double.read(from: &self), to: T.self)
        case .bool: return unsafeBitCast(try readBool(), to: T.self)
        case .int64: return unsafeBitCast(try readInt(), to: T.self)
        case .uint64: return unsafeBitCast(try readUInt(), to: T.self)
        case .int32: return unsafeBitCast(try readInteger(Int32.self), to: T.self)
        case .uint32: return unsafeBitCast(try readInteger(UInt32.self), to: T.self)
        case .uint8: return unsafeBitCast(try readInteger(UInt8.self), to: T.self)
        case .int8: return unsafeBitCast(try readInteger(Int8.self), to: T.self)
        case .int16: return unsafeBitCast(try readInteger(Int16.self), to: T.self)
        case .uint16: return unsafeBitCast(try readInteger(UInt16.self), to: T.self)
        case .uint: return unsafeBitCast(try readInteger(UInt.self), to: T.self)
        case .float: return unsafeBitCast(try Float.read(from: &self), to: T.self)
        case .value: return unsafeBitCast(try readValue(depth: depth), to: T.self)
        case .bytes: return unsafeBitCast(try readByteArray(depth: depth), to: T.self)
        case .ints: return unsafeBitCast(try readArray(of: Int.self, depth: depth), to: T.self)
        case .strings: return unsafeBitCast(try readArray(of: String.self, depth: depth), to: T.self)
        case .doubles: return unsafeBitCast(try readArray(of: Double.self, depth: depth), to: T.self)
        }
    }

    /// Reads `[UInt8]` from a `bin`, or from an array of integers in 0…255.
    mutating func readByteArray(depth: Int) throws(WireError) -> [UInt8] {
        guard position < bytes.count, MessagePackType(firstByte: bytes[position]) == .array else {
            return try readBinary()
        }
        return try readArray(of: UInt8.self, depth: depth)
    }

    /// Reads an array whose elements are all `Element`.
    mutating func readArray<Element: MessagePackPrimitive>(of type: Element.Type, depth: Int) throws(WireError) -> [Element] {
        guard depth < maximumDepth else { throw tooDeep(at: position) }
        let start = position
        let count = try readArrayHeader()
        var elements: [Element] = []
        elements.reserveCapacity(count)
        do throws(WireError) {
            for _ in 0..<count { elements.append(try Element.read(from: &self)) }
        } catch {
            position = start
            throw error
        }
        return elements
    }
}
