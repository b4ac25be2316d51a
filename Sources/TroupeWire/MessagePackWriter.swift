/// Appends MessagePack values to a byte array, each in its smallest form.
///
/// The writer does no validation beyond what the format needs: it writes exactly what it is
/// told, so `writeArrayHeader(3)` must be followed by three values. Integers use the smallest
/// format that holds them, with the unsigned family for non-negative values and the signed
/// family for negative ones (as Python's `msgpack` does), so equal values always produce equal
/// bytes.
///
/// ```swift
/// var writer = MessagePackWriter()
/// writer.writeArrayHeader(2)
/// writer.writeInt(-1)
/// writer.writeString("hi")
/// // writer.bytes == [0x92, 0xff, 0xa2, 0x68, 0x69]
/// ```
public struct MessagePackWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// Creates an empty writer.
    /// - Parameter capacity: Bytes to reserve up front, to avoid regrowing for small messages.
    @inlinable
    public init(capacity: Int = 0) {
        bytes = []
        if capacity > 0 { bytes.reserveCapacity(capacity) }
    }

    /// Creates a writer that appends to existing bytes.
    /// - Parameter bytes: Bytes to keep at the start of ``bytes``.
    @inlinable
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The number of bytes written so far.
    @inlinable
    public var count: Int { bytes.count }

    /// Reserves room for at least `capacity` bytes in total.
    /// - Parameter capacity: The total number of bytes to make room for.
    @inlinable
    public mutating func reserveCapacity(_ capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Scalars

    /// Writes `nil` (`0xc0`).
    @inlinable
    public mutating func writeNil() {
        bytes.append(0xc0)
    }

    /// Writes `true` (`0xc3`) or `false` (`0xc2`).
    /// - Parameter value: The value to write.
    @inlinable
    public mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 0xc3 : 0xc2)
    }

    /// Writes a signed integer in its smallest form: a fixint or `uint 8…64` when it is not
    /// negative, a negative fixint or `int 8…64` when it is.
    /// - Parameter value: The value to write.
    @inlinable
    public mutating func writeInt(_ value: Int64) {
        if value >= 0 {
            writeUInt(UInt64(value))
        } else if value >= -32 {
            bytes.append(UInt8(truncatingIfNeeded: value))
        } else if value >= -128 {
            bytes.append(0xd0)
            bytes.append(UInt8(truncatingIfNeeded: value))
        } else if value >= -32768 {
            appendBigEndian(0xd1, Int16(truncatingIfNeeded: value))
        } else if value >= -2_147_483_648 {
            appendBigEndian(0xd2, Int32(truncatingIfNeeded: value))
        } else {
            appendBigEndian(0xd3, value)
        }
    }

    /// Writes an unsigned integer in its smallest form: a positive fixint or `uint 8…64`.
    /// - Parameter value: The value to write.
    @inlinable
    public mutating func writeUInt(_ value: UInt64) {
        if value < 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value))
        } else if value <= 0xff {
            bytes.append(0xcc)
            bytes.append(UInt8(truncatingIfNeeded: value))
        } else if value <= 0xffff {
            appendBigEndian(0xcd, UInt16(truncatingIfNeeded: value))
        } else if value <= 0xffff_ffff {
            appendBigEndian(0xce, UInt32(truncatingIfNeeded: value))
        } else {
            appendBigEndian(0xcf, value)
        }
    }

    /// Writes a `float 64`.
    /// - Parameter value: The value to write.
    @inlinable
    public mutating func writeDouble(_ value: Double) {
        appendBigEndian(0xcb, value.bitPattern)
    }

    /// Writes a `float 32`.
    /// - Parameter value: The value to write.
    @inlinable
    public mutating func writeFloat(_ value: Float) {
        appendBigEndian(0xca, value.bitPattern)
    }

    // MARK: Strings and bytes

    /// Writes a string as `str` (UTF-8).
    /// - Parameter value: The string to write.
    @inlinable
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeStringHeader(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Writes the header of a `str` of `length` bytes; the caller appends the UTF-8 bytes.
    /// - Parameter length: The string's length in bytes (at most `UInt32.max`).
    @inlinable
    public mutating func writeStringHeader(_ length: Int) {
        if length < 32 {
            bytes.append(0xa0 | UInt8(truncatingIfNeeded: length))
        } else if length <= 0xff {
            bytes.append(0xd9)
            bytes.append(UInt8(truncatingIfNeeded: length))
        } else if length <= 0xffff {
            appendBigEndian(0xda, UInt16(truncatingIfNeeded: length))
        } else {
            precondition(length <= 0xffff_ffff, "MessagePack str is limited to 4 GiB")
            appendBigEndian(0xdb, UInt32(truncatingIfNeeded: length))
        }
    }

    /// Writes a byte array as `bin`.
    /// - Parameter value: The bytes to write.
    @inlinable
    public mutating func writeBinary(_ value: [UInt8]) {
        writeBinaryHeader(value.count)
        bytes.append(contentsOf: value)
    }

    /// Writes a byte buffer as `bin`.
    /// - Parameter value: The bytes to write.
    @inlinable
    public mutating func writeBinary(_ value: UnsafeRawBufferPointer) {
        writeBinaryHeader(value.count)
        bytes.append(contentsOf: value)
    }

    /// Writes the header of a `bin` of `length` bytes; the caller appends the bytes.
    /// - Parameter length: The length in bytes (at most `UInt32.max`).
    @inlinable
    public mutating func writeBinaryHeader(_ length: Int) {
        if length <= 0xff {
            bytes.append(0xc4)
            bytes.append(UInt8(truncatingIfNeeded: length))
        } else if length <= 0xffff {
            appendBigEndian(0xc5, UInt16(truncatingIfNeeded: length))
        } else {
            precondition(length <= 0xffff_ffff, "MessagePack bin is limited to 4 GiB")
            appendBigEndian(0xc6, UInt32(truncatingIfNeeded: length))
        }
    }

    // MARK: Containers

    /// Writes the header of an array of `count` elements; the caller writes the elements.
    /// - Parameter count: The number of elements (at most `UInt32.max`).
    @inlinable
    public mutating func writeArrayHeader(_ count: Int) {
        if count < 16 {
            bytes.append(0x90 | UInt8(truncatingIfNeeded: count))
        } else if count <= 0xffff {
            appendBigEndian(0xdc, UInt16(truncatingIfNeeded: count))
        } else {
            precondition(count <= 0xffff_ffff, "MessagePack array is limited to 2^32-1 elements")
            appendBigEndian(0xdd, UInt32(truncatingIfNeeded: count))
        }
    }

    /// Writes the header of a map of `count` key–value pairs; the caller writes each key and
    /// then its value.
    /// - Parameter count: The number of pairs (at most `UInt32.max`).
    @inlinable
    public mutating func writeMapHeader(_ count: Int) {
        if count < 16 {
            bytes.append(0x80 | UInt8(truncatingIfNeeded: count))
        } else if count <= 0xffff {
            appendBigEndian(0xde, UInt16(truncatingIfNeeded: count))
        } else {
            precondition(count <= 0xffff_ffff, "MessagePack map is limited to 2^32-1 pairs")
            appendBigEndian(0xdf, UInt32(truncatingIfNeeded: count))
        }
    }

    /// Writes an extension value in its smallest form (`fixext 1/2/4/8/16` or `ext 8/16/32`).
    /// - Parameters:
    ///   - type: The application-defined type (negative types are reserved by MessagePack).
    ///   - data: The extension's payload.
    @inlinable
    public mutating func writeExtension(type: Int8, data: [UInt8]) {
        let tag = UInt8(bitPattern: type)
        switch data.count {
        case 1: bytes.append(0xd4)
        case 2: bytes.append(0xd5)
        case 4: bytes.append(0xd6)
        case 8: bytes.append(0xd7)
        case 16: bytes.append(0xd8)
        case ...0xff:
            bytes.append(0xc7)
            bytes.append(UInt8(truncatingIfNeeded: data.count))
        case ...0xffff:
            appendBigEndian(0xc8, UInt16(truncatingIfNeeded: data.count))
        default:
            precondition(data.count <= 0xffff_ffff, "MessagePack ext is limited to 4 GiB")
            appendBigEndian(0xc9, UInt32(truncatingIfNeeded: data.count))
        }
        bytes.append(tag)
        bytes.append(contentsOf: data)
    }

    // MARK: Raw bytes

    /// Appends bytes that already are MessagePack (one or more complete values).
    /// - Parameter encoded: The encoded bytes, appended as they are.
    @inlinable
    public mutating func writeRaw(_ encoded: [UInt8]) {
        bytes.append(contentsOf: encoded)
    }

    /// Appends bytes that already are MessagePack (one or more complete values).
    /// - Parameter encoded: The encoded bytes, appended as they are.
    @inlinable
    public mutating func writeRaw(_ encoded: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: encoded)
    }

    /// Appends bytes that already are MessagePack (one or more complete values).
    /// - Parameter encoded: The encoded bytes, appended as they are.
    @inlinable
    public mutating func writeRaw(_ encoded: ArraySlice<UInt8>) {
        bytes.append(contentsOf: encoded)
    }

    // MARK: Internals

    @inlinable
    internal mutating func appendBigEndian<T: FixedWidthInteger>(_ marker: UInt8, _ value: T) {
        bytes.append(marker)
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

extension MessagePackWriter {
    /// Adds one to the count in the array or map header at `offset`, growing a `fixarray` or
    /// `fixmap` header to its 16-bit form at 16 entries, and a 16-bit header to its 32-bit form
    /// at 65,536 entries, by inserting bytes after the header. Everything written after the
    /// header moves; everything before it stays put.
    ///
    /// - Returns: `false` when the byte at `offset` is not an array or map header (misuse).
    @discardableResult
    internal mutating func incrementContainerCount(at offset: Int) -> Bool {
        let header = bytes[offset]
        switch header {
        case 0x80..<0x8f, 0x90..<0x9f:
            bytes[offset] = header &+ 1
        case 0x8f, 0x9f:
            bytes[offset] = header == 0x8f ? 0xde : 0xdc
            bytes.insert(contentsOf: [0x00, 0x10] as [UInt8], at: offset + 1)
        case 0xdc, 0xde:
            let current = UInt16(bytes[offset + 1]) << 8 | UInt16(bytes[offset + 2])
            if current < 0xffff {
                let next = current + 1
                bytes[offset + 1] = UInt8(truncatingIfNeeded: next >> 8)
                bytes[offset + 2] = UInt8(truncatingIfNeeded: next)
            } else {
                bytes[offset] = header == 0xde ? 0xdf : 0xdd
                bytes[offset + 1] = 0x00
                bytes[offset + 2] = 0x01
                bytes.insert(contentsOf: [0x00, 0x00] as [UInt8], at: offset + 3)
            }
        case 0xdd, 0xdf:
            var current: UInt32 = 0
            for index in 1...4 { current = current << 8 | UInt32(bytes[offset + index]) }
            guard current < 0xffff_ffff else { return false }
            let next = current + 1
            for index in 1...4 {
                bytes[offset + index] = UInt8(truncatingIfNeeded: next >> (8 * UInt32(4 - index)))
            }
        default:
            return false
        }
        return true
    }

    /// The count in the array or map header at `offset`, or 0 when there is no header there.
    internal func containerCount(at offset: Int) -> Int {
        let header = bytes[offset]
        switch header {
        case 0x80...0x8f: return Int(header & 0x0f)
        case 0x90...0x9f: return Int(header & 0x0f)
        case 0xdc, 0xde: return Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
        case 0xdd, 0xdf:
            var current = 0
            for index in 1...4 { current = current << 8 | Int(bytes[offset + index]) }
            return current
        default: return 0
        }
    }
}
