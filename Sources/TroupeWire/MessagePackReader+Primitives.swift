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
        case .ints: return unsafeBitCast(try readNumericArray(of: Int.self, bulk: .int64, depth: depth), to: T.self)
        case .strings: return unsafeBitCast(try readArray(of: String.self, depth: depth), to: T.self)
        case .doubles: return unsafeBitCast(try readNumericArray(of: Double.self, bulk: .float64, depth: depth), to: T.self)
        case .floats: return unsafeBitCast(try readNumericArray(of: Float.self, bulk: .float32, depth: depth), to: T.self)
        case .int64s: return unsafeBitCast(try readNumericArray(of: Int64.self, bulk: .int64, depth: depth), to: T.self)
        case .int32s: return unsafeBitCast(try readNumericArray(of: Int32.self, bulk: .int32, depth: depth), to: T.self)
        case .optionalInts: return unsafeBitCast(try readOptionalArray(of: Int.self, bulk: .int64, depth: depth), to: T.self)
        case .optionalStrings: return unsafeBitCast(try readOptionalArray(of: String.self, bulk: nil, depth: depth), to: T.self)
        case .optionalDoubles: return unsafeBitCast(try readOptionalArray(of: Double.self, bulk: .float64, depth: depth), to: T.self)
        case .optionalInt64s: return unsafeBitCast(try readOptionalArray(of: Int64.self, bulk: .int64, depth: depth), to: T.self)
        }
    }

    /// Reads an array whose elements are each `nil` or an `Element` (or, for numbers, the
    /// bulk `ext`, which holds no `nil`).
    mutating func readOptionalArray<Element: MessagePackPrimitive>(of type: Element.Type, bulk: NumericArrayExtension.ElementType?,
                                                                   depth: Int) throws(WireError) -> [Element?] {
        if let bulk, nextIsNumericExtension { return try readNumericExtension(of: Element.self, as: bulk).map { $0 } }
        return try readArrayElements(depth: depth) { reader throws(WireError) in
            reader.readNilIfPresent() ? nil : try Element.read(from: &reader)
        }
    }

    /// Reads an array of numbers in either of its forms: the bulk `ext`, or an ordinary array.
    mutating func readNumericArray<Element: MessagePackPrimitive>(of type: Element.Type, bulk: NumericArrayExtension.ElementType,
                                                                  depth: Int) throws(WireError) -> [Element] {
        if nextIsNumericExtension { return try readNumericExtension(of: Element.self, as: bulk) }
        return try readArray(of: Element.self, depth: depth)
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
        try readArrayElements(depth: depth) { reader throws(WireError) in try Element.read(from: &reader) }
    }

    /// Reads an array header and then each element with `readElement`; on error the reader
    /// is left at the array's start.
    @inline(__always)
    private mutating func readArrayElements<Element>(depth: Int,
                                                     _ readElement: (inout MessagePackReader) throws(WireError) -> Element) throws(WireError) -> [Element] {
        guard depth < maximumDepth else { throw tooDeep(at: position) }
        let start = position
        let count = try readArrayHeader()
        var elements: [Element] = []
        elements.reserveCapacity(count)
        do throws(WireError) {
            for _ in 0..<count { elements.append(try readElement(&self)) }
        } catch {
            position = start
            throw error
        }
        return elements
    }
}
