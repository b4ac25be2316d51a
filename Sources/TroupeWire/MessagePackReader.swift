/// Reads MessagePack values from a byte buffer without copying it.
///
/// The reader keeps a ``position`` into a buffer it does not own; the buffer must outlive the
/// reader (read inside `withUnsafeBytes`). Every read checks bounds and types first and throws
/// a ``WireError`` on truncated, malformed or unexpected input — it never traps, and a read
/// that throws leaves ``position`` where it was. Lengths and counts announced by headers are
/// checked against the bytes that remain before anything is allocated, and ``maximumDepth``
/// bounds the nesting of arrays and maps, so hostile input can neither exhaust memory nor
/// overflow the stack.
///
/// ```swift
/// try bytes.withUnsafeBytes { buffer in
///     var reader = MessagePackReader(buffer)
///     let count = try reader.readArrayHeader()
///     let first = try reader.readInt()
///     try reader.skipValue()
/// }
/// ```
public struct MessagePackReader {
    /// The default limit on the nesting of arrays and maps: 512 levels.
    public static let defaultMaximumDepth = 512

    /// The buffer being read.
    public let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    public var position: Int
    /// The deepest nesting of arrays and maps that ``skipValue(depth:)`` and
    /// ``readValue(depth:)`` accept; a value nested deeper throws `nestingTooDeep`.
    public var maximumDepth: Int

    /// Creates a reader over a buffer.
    /// - Parameters:
    ///   - bytes: The buffer to read; it must stay valid while the reader is used.
    ///   - position: The offset to start reading at.
    ///   - maximumDepth: The deepest nesting of arrays and maps to accept.
    public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0, maximumDepth: Int = MessagePackReader.defaultMaximumDepth) {
        self.bytes = bytes
        self.position = position
        self.maximumDepth = maximumDepth
    }

    /// Whether every byte has been read.
    @inlinable
    public var isAtEnd: Bool { position >= bytes.count }

    /// The number of bytes left to read.
    @inlinable
    public var remainingCount: Int { bytes.count - position }

    /// The type family of the next value, without consuming it.
    /// - Returns: The type family of the next value.
    /// - Throws: `truncated` at the end of the buffer, `malformed` for the unused byte `0xc1`.
    public func peekType() throws(WireError) -> MessagePackType {
        guard position < bytes.count else { throw truncated(at: position, "a value", needs: 1) }
        guard let type = MessagePackType(firstByte: bytes[position]) else {
            throw WireError(.malformed, "byte 0xc1 never starts a MessagePack value", offset: position)
        }
        return type
    }

    // MARK: nil and bool

    /// Reads `nil`.
    /// - Throws: `truncated`, or `typeMismatch` when the next value is not `nil`.
    public mutating func readNil() throws(WireError) {
        guard position < bytes.count else { throw truncated(at: position, "nil", needs: 1) }
        guard bytes[position] == 0xc0 else { throw mismatch("nil", at: position) }
        position += 1
    }

    /// Reads `nil` if it is the next value.
    /// - Returns: `true` (and consumes it) when the next value is `nil`; `false` otherwise.
    public mutating func readNilIfPresent() -> Bool {
        guard position < bytes.count, bytes[position] == 0xc0 else { return false }
        position += 1
        return true
    }

    /// Reads a boolean.
    /// - Returns: The value read.
    /// - Throws: `truncated`, or `typeMismatch` when the next value is not a bool.
    public mutating func readBool() throws(WireError) -> Bool {
        guard position < bytes.count else { throw truncated(at: position, "bool", needs: 1) }
        switch bytes[position] {
        case 0xc2: position += 1; return false
        case 0xc3: position += 1; return true
        default: throw mismatch("bool", at: position)
        }
    }

    // MARK: Integers

    /// Reads an integer of any width as `Int64`.
    /// - Returns: The value read.
    /// - Throws: `truncated`, `typeMismatch` when the next value is not an integer, or
    ///   `integerOverflow` for a `uint 64` above `Int64.max`.
    public mutating func readInt() throws(WireError) -> Int64 {
        let start = position
        let (bits, negative, next) = try integerBits()
        guard negative || bits <= UInt64(Int64.max) else {
            throw WireError(.integerOverflow, "integer \(bits) does not fit Int64", offset: start)
        }
        position = next
        return Int64(bitPattern: bits)
    }

    /// Reads an integer of any width as `UInt64`.
    /// - Returns: The value read.
    /// - Throws: `truncated`, `typeMismatch` when the next value is not an integer, or
    ///   `integerOverflow` when it is negative.
    public mutating func readUInt() throws(WireError) -> UInt64 {
        let start = position
        let (bits, negative, next) = try integerBits()
        guard !negative else {
            throw WireError(.integerOverflow, "integer \(Int64(bitPattern: bits)) is negative; expected an unsigned integer", offset: start)
        }
        position = next
        return bits
    }

    /// Reads an integer of any width as `T`, checking that it fits.
    /// - Parameter type: The integer type to read.
    /// - Returns: The value read.
    /// - Throws: `truncated`, `typeMismatch` when the next value is not an integer, or
    ///   `integerOverflow` when it does not fit `T`.
    public mutating func readInteger<T: FixedWidthInteger>(_ type: T.Type) throws(WireError) -> T {
        let start = position
        let (bits, negative, next) = try integerBits()
        let value: T?
        if negative {
            value = T(exactly: Int64(bitPattern: bits))
        } else {
            value = T(exactly: bits)
        }
        guard let value else {
            let shown = negative ? String(Int64(bitPattern: bits)) : String(bits)
            throw WireError(.integerOverflow, "integer \(shown) does not fit \(T.self)", offset: start)
        }
        position = next
        return value
    }

    /// Decodes the integer at ``position`` without consuming it.
    /// - Returns: The value's bits (an `Int64` bit pattern when `negative`), whether it is
    ///   negative, and the offset just past it.
    internal func integerBits() throws(WireError) -> (bits: UInt64, negative: Bool, next: Int) {
        let p = position
        guard p < bytes.count else { throw truncated(at: p, "int", needs: 1) }
        let marker = bytes[p]
        switch marker {
        case 0x00...0x7f:
            return (UInt64(marker), false, p + 1)
        case 0xe0...0xff:
            return (UInt64(bitPattern: Int64(Int8(bitPattern: marker))), true, p + 1)
        case 0xcc:
            try need(2, at: p, "uint 8")
            return (UInt64(bytes[p + 1]), false, p + 2)
        case 0xcd:
            try need(3, at: p, "uint 16")
            return (UInt64(load(UInt16.self, at: p + 1)), false, p + 3)
        case 0xce:
            try need(5, at: p, "uint 32")
            return (UInt64(load(UInt32.self, at: p + 1)), false, p + 5)
        case 0xcf:
            try need(9, at: p, "uint 64")
            return (load(UInt64.self, at: p + 1), false, p + 9)
        case 0xd0:
            try need(2, at: p, "int 8")
            let value = Int64(Int8(bitPattern: bytes[p + 1]))
            return (UInt64(bitPattern: value), value < 0, p + 2)
        case 0xd1:
            try need(3, at: p, "int 16")
            let value = Int64(Int16(bitPattern: load(UInt16.self, at: p + 1)))
            return (UInt64(bitPattern: value), value < 0, p + 3)
        case 0xd2:
            try need(5, at: p, "int 32")
            let value = Int64(Int32(bitPattern: load(UInt32.self, at: p + 1)))
            return (UInt64(bitPattern: value), value < 0, p + 5)
        case 0xd3:
            try need(9, at: p, "int 64")
            let value = Int64(bitPattern: load(UInt64.self, at: p + 1))
            return (UInt64(bitPattern: value), value < 0, p + 9)
        default:
            throw mismatch("int", at: p)
        }
    }

    // MARK: Floating point

    /// Reads a `float 64`, or a `float 32` widened to `Double`.
    /// - Returns: The value read.
    /// - Throws: `truncated`, or `typeMismatch` when the next value is not a float.
    public mutating func readDouble() throws(WireError) -> Double {
        let p = position
        guard p < bytes.count else { throw truncated(at: p, "float", needs: 1) }
        switch bytes[p] {
        case 0xcb:
            try need(9, at: p, "float 64")
            position = p + 9
            return Double(bitPattern: load(UInt64.self, at: p + 1))
        case 0xca:
            try need(5, at: p, "float 32")
            position = p + 5
            return Double(Float(bitPattern: load(UInt32.self, at: p + 1)))
        default:
            throw mismatch("float", at: p)
        }
    }

    /// Reads a `float 32`, or a `float 64` narrowed to `Float` when it is within `Float`'s range
    /// (rounding to the nearest `Float`; infinities and NaN are kept).
    /// - Returns: The value read.
    /// - Throws: `truncated`, `typeMismatch` when the next value is not a float, or `tooLarge`
    ///   for a finite `float 64` beyond `Float`'s range.
    public mutating func readFloat() throws(WireError) -> Float {
        let p = position
        guard p < bytes.count else { throw truncated(at: p, "float", needs: 1) }
        switch bytes[p] {
        case 0xca:
            try need(5, at: p, "float 32")
            position = p + 5
            return Float(bitPattern: load(UInt32.self, at: p + 1))
        case 0xcb:
            try need(9, at: p, "float 64")
            let double = Double(bitPattern: load(UInt64.self, at: p + 1))
            let float = Float(double)
            guard float.isFinite || !double.isFinite else {
                throw WireError(.tooLarge, "float 64 \(double) is beyond Float's range", offset: p)
            }
            position = p + 9
            return float
        default:
            throw mismatch("float", at: p)
        }
    }

    // MARK: Strings and binary

    /// Reads a `str` and checks that it is valid UTF-8.
    /// - Returns: The string read.
    /// - Throws: `truncated`, `typeMismatch` when the next value is not a str, or
    ///   `invalidUTF8`.
    public mutating func readString() throws(WireError) -> String {
        let p = position
        let (start, length) = try stringHeader(at: p)
        if length == 0 {
            position = start
            return ""
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
        // Validate first (String(validating:) takes a slow, unspecialized path), then build
        // the string with the specialized UTF-8 initializer, which repairs nothing here.
        guard UTF8Validation.isValid(raw) else {
            throw WireError(.invalidUTF8, "str of \(length) bytes is not valid UTF-8", offset: p)
        }
        position = start + length
        return raw.withMemoryRebound(to: UInt8.self) { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads a `str`, checks that it is valid UTF-8, and returns its bytes without copying.
    /// - Returns: The string's UTF-8 bytes, a slice of ``bytes``.
    /// - Throws: `truncated`, `typeMismatch` when the next value is not a str, or
    ///   `invalidUTF8`.
    public mutating func readStringBytes() throws(WireError) -> UnsafeRawBufferPointer {
        let p = position
        let (start, length) = try stringHeader(at: p)
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
        guard UTF8Validation.isValid(raw) else {
            throw WireError(.invalidUTF8, "str of \(length) bytes is not valid UTF-8", offset: p)
        }
        position = start + length
        return raw
    }

    /// Reads a `bin` into a new array.
    /// - Returns: The bytes read.
    /// - Throws: `truncated`, or `typeMismatch` when the next value is not a bin.
    public mutating func readBinary() throws(WireError) -> [UInt8] {
        Array(try readBinaryBytes())
    }

    /// Reads a `bin` and returns its bytes without copying.
    /// - Returns: The bytes, a slice of ``bytes``.
    /// - Throws: `truncated`, or `typeMismatch` when the next value is not a bin.
    public mutating func readBinaryBytes() throws(WireError) -> UnsafeRawBufferPointer {
        let p = position
        guard p < bytes.count else { throw truncated(at: p, "bin", needs: 1) }
        let start: Int
        let length: Int
        switch bytes[p] {
        case 0xc4:
            try need(2, at: p, "bin 8 header")
            start = p + 2; length = Int(bytes[p + 1])
        case 0xc5:
            try need(3, at: p, "bin 16 header")
            start = p + 3; length = Int(load(UInt16.self, at: p + 1))
        case 0xc6:
            try need(5, at: p, "bin 32 header")
            start = p + 5; length = Int(load(UInt32.self, at: p + 1))
        default:
            throw mismatch("bin", at: p)
        }
        try need(start - p + length, at: p, "bin of \(length) bytes")
        position = start + length
        return UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
    }

    /// Reads the header of a `str` at `p`.
    /// - Returns: The offset of the first UTF-8 byte and the length; the bytes are in bounds.
    internal func stringHeader(at p: Int) throws(WireError) -> (start: Int, length: Int) {
        guard p < bytes.count else { throw truncated(at: p, "str", needs: 1) }
        let marker = bytes[p]
        let start: Int
        let length: Int
        switch marker {
        case 0xa0...0xbf:
            start = p + 1; length = Int(marker & 0x1f)
        case 0xd9:
            try need(2, at: p, "str 8 header")
            start = p + 2; length = Int(bytes[p + 1])
        case 0xda:
            try need(3, at: p, "str 16 header")
            start = p + 3; length = Int(load(UInt16.self, at: p + 1))
        case 0xdb:
            try need(5, at: p, "str 32 header")
            start = p + 5; length = Int(load(UInt32.self, at: p + 1))
        default:
            throw mismatch("str", at: p)
        }
        try need(start - p + length, at: p, "str of \(length) bytes")
        return (start, length)
    }

    // MARK: Containers

    /// Reads the header of an array; the caller then reads that many values.
    /// - Returns: The number of elements, already checked to be no more than the bytes left.
    /// - Throws: `truncated` (also when the count exceeds the bytes left), or `typeMismatch`.
    public mutating func readArrayHeader() throws(WireError) -> Int {
        let p = position
        guard p < bytes.count else { throw truncated(at: p, "array", needs: 1) }
        let count: Int
        let start: Int
        switch bytes[p] {
        case 0x90...0x9f:
            count = Int(bytes[p] & 0x0f); start = p + 1
        case 0xdc:
            try need(3, at: p, "array 16 header")
            count = Int(load(UInt16.self, at: p + 1)); start = p + 3
        case 0xdd:
            try need(5, at: p, "array 32 header")
            count = Int(load(UInt32.self, at: p + 1)); start = p + 5
        default:
            throw mismatch("array", at: p)
        }
        guard count <= bytes.count - start else {
            throw WireError(.truncated, "array of \(count) elements needs at least \(count) bytes, \(bytes.count - start) remain", offset: p)
        }
        position = start
        return count
    }

    /// Reads the header of a map; the caller then reads that many key–value pairs.
    /// - Returns: The number of pairs, already checked to be no more than half the bytes left.
    /// - Throws: `truncated` (also when the count exceeds the bytes left), or `typeMismatch`.
    public mutating func readMapHeader() throws(WireError) -> Int {
        let p = position
        guard p < bytes.count else { throw truncated(at: p, "map", needs: 1) }
        let count: Int
        let start: Int
        switch bytes[p] {
        case 0x80...0x8f:
            count = Int(bytes[p] & 0x0f); start = p + 1
        case 0xde:
            try need(3, at: p, "map 16 header")
            count = Int(load(UInt16.self, at: p + 1)); start = p + 3
        case 0xdf:
            try need(5, at: p, "map 32 header")
            count = Int(load(UInt32.self, at: p + 1)); start = p + 5
        default:
            throw mismatch("map", at: p)
        }
        guard 2 * count <= bytes.count - start else {
            throw WireError(.truncated, "map of \(count) pairs needs at least \(2 * count) bytes, \(bytes.count - start) remain", offset: p)
        }
        position = start
        return count
    }

    /// Reads an extension value and returns its payload without copying.
    /// - Returns: The application-defined type and the payload, a slice of ``bytes``.
    /// - Throws: `truncated`, or `typeMismatch` when the next value is not an ext.
    public mutating func readExtension() throws(WireError) -> (type: Int8, data: UnsafeRawBufferPointer) {
        let p = position
        guard p < bytes.count else { throw truncated(at: p, "ext", needs: 1) }
        let typeOffset: Int
        let length: Int
        switch bytes[p] {
        case 0xd4: typeOffset = p + 1; length = 1
        case 0xd5: typeOffset = p + 1; length = 2
        case 0xd6: typeOffset = p + 1; length = 4
        case 0xd7: typeOffset = p + 1; length = 8
        case 0xd8: typeOffset = p + 1; length = 16
        case 0xc7:
            try need(2, at: p, "ext 8 header")
            typeOffset = p + 2; length = Int(bytes[p + 1])
        case 0xc8:
            try need(3, at: p, "ext 16 header")
            typeOffset = p + 3; length = Int(load(UInt16.self, at: p + 1))
        case 0xc9:
            try need(5, at: p, "ext 32 header")
            typeOffset = p + 5; length = Int(load(UInt32.self, at: p + 1))
        default:
            throw mismatch("ext", at: p)
        }
        try need(typeOffset + 1 - p + length, at: p, "ext of \(length) bytes")
        position = typeOffset + 1 + length
        let data = UnsafeRawBufferPointer(rebasing: bytes[typeOffset + 1..<typeOffset + 1 + length])
        return (Int8(bitPattern: bytes[typeOffset]), data)
    }

    // MARK: Skipping

    /// Skips one complete value (with everything nested in it), checking it as it goes: bounds,
    /// formats, UTF-8 of every `str`, and the nesting limit.
    /// - Parameter depth: How many arrays and maps already enclose the value; the value's own
    ///   arrays and maps count from `depth + 1` against ``maximumDepth``.
    /// - Returns: The byte range of the skipped value in ``bytes``.
    /// - Throws: `truncated`, `malformed`, `invalidUTF8` or `nestingTooDeep`.
    @discardableResult
    public mutating func skipValue(depth: Int = 0) throws(WireError) -> Range<Int> {
        let start = position
        var p = position
        try skip(&p, depth: depth)
        position = p
        return start..<p
    }

    private func skip(_ p: inout Int, depth: Int) throws(WireError) {
        guard p < bytes.count else { throw truncated(at: p, "a value", needs: 1) }
        let marker = bytes[p]
        switch marker {
        case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3:
            p += 1
        case 0xcc, 0xd0:
            try need(2, at: p, "int 8"); p += 2
        case 0xcd, 0xd1:
            try need(3, at: p, "int 16"); p += 3
        case 0xce, 0xd2, 0xca:
            try need(5, at: p, "32-bit number"); p += 5
        case 0xcf, 0xd3, 0xcb:
            try need(9, at: p, "64-bit number"); p += 9
        case 0xa0...0xbf, 0xd9...0xdb:
            let (start, length) = try stringHeader(at: p)
            guard UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])) else {
                throw WireError(.invalidUTF8, "str of \(length) bytes is not valid UTF-8", offset: p)
            }
            p = start + length
        case 0xc4...0xc6:
            var reader = self
            reader.position = p
            _ = try reader.readBinaryBytes()
            p = reader.position
        case 0xc7...0xc9, 0xd4...0xd8:
            var reader = self
            reader.position = p
            _ = try reader.readExtension()
            p = reader.position
        case 0x90...0x9f, 0xdc, 0xdd:
            guard depth < maximumDepth else { throw tooDeep(at: p) }
            var reader = self
            reader.position = p
            let count = try reader.readArrayHeader()
            p = reader.position
            for _ in 0..<count { try skip(&p, depth: depth + 1) }
        case 0x80...0x8f, 0xde, 0xdf:
            guard depth < maximumDepth else { throw tooDeep(at: p) }
            var reader = self
            reader.position = p
            let count = try reader.readMapHeader()
            p = reader.position
            for _ in 0..<(2 * count) { try skip(&p, depth: depth + 1) }
        default:
            throw WireError(.malformed, "byte 0xc1 never starts a MessagePack value", offset: p)
        }
    }

    // MARK: Helpers

    @inline(__always)
    internal func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    @inline(__always)
    internal func need(_ count: Int, at offset: Int, _ what: @autoclosure () -> String) throws(WireError) {
        guard count <= bytes.count - offset else {
            throw truncated(at: offset, what(), needs: count)
        }
    }

    internal func truncated(at offset: Int, _ what: String, needs count: Int) -> WireError {
        let left = max(0, bytes.count - offset)
        return WireError(.truncated, "\(what) needs \(count) bytes, \(left) remain", offset: offset)
    }

    internal func mismatch(_ expected: String, at offset: Int) -> WireError {
        let marker = bytes[offset]
        let found = MessagePackType(firstByte: marker)?.description ?? "the unused byte"
        return WireError(.typeMismatch, "expected \(expected), found \(found) (0x\(String(marker, radix: 16)))", offset: offset)
    }

    internal func tooDeep(at offset: Int) -> WireError {
        WireError(.nestingTooDeep, "arrays and maps nest deeper than \(maximumDepth) levels", offset: offset)
    }
}

@available(*, unavailable, message: "a MessagePackReader reads through an unsafe pointer and stays on one thread")
extension MessagePackReader: Sendable {}
