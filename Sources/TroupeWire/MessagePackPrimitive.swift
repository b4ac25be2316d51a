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
