/// The bulk form of an array of fixed-width numbers (Protocol 1, "Numeric arrays"): one
/// MessagePack `ext` whose payload is the elements' little-endian bytes, back to back, so
/// that encoding and decoding are one copy each, not a loop over elements.
///
/// Writers use it for arrays of at least ``minimumCount`` elements; shorter arrays stay
/// ordinary MessagePack arrays. Readers accept both forms for every numeric array type.
public enum NumericArrayExtension {
    /// Arrays shorter than this are written as ordinary arrays.
    public static let minimumCount = 32

    /// The `ext` type of each element type.
    public enum ElementType: Int8, Sendable, CaseIterable {
        /// 64-bit floats (`[Double]`).
        case float64 = 17
        /// 32-bit floats (`[Float]`).
        case float32 = 18
        /// 64-bit signed integers (`[Int]`, `[Int64]`).
        case int64 = 19
        /// 32-bit signed integers (`[Int32]`).
        case int32 = 20

        /// The size of one element, in bytes.
        public var size: Int {
            switch self {
            case .float64, .int64: 8
            case .float32, .int32: 4
            }
        }
    }

    /// The elements of a bulk-form array as values, or nil when `type` is not a numeric
    /// array's or `data` is not a whole number of elements.
    static func elements(type: Int8, data: [UInt8]) -> [MessagePackValue]? {
        guard let element = ElementType(rawValue: type), data.count % element.size == 0 else { return nil }
        return data.withUnsafeBytes { raw -> [MessagePackValue] in
            let count = data.count / element.size
            switch element {
            case .float64:
                return (0..<count).map { .double(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
            case .float32:
                return (0..<count).map { .float(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))) }
            case .int64:
                return (0..<count).map { .int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
            case .int32:
                return (0..<count).map { .int(Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)))) }
            }
        }
    }
}

extension MessagePackWriter {
    /// Writes `elements` in the bulk form (at least ``NumericArrayExtension/minimumCount`` of
    /// them) or as an ordinary array.
    mutating func writeNumericArray<Element: FixedWidthInteger>(_ elements: [Element], as type: NumericArrayExtension.ElementType) {
        guard elements.count >= NumericArrayExtension.minimumCount else {
            writeArrayHeader(elements.count)
            for element in elements { writeInt(Int64(element)) }
            return
        }
        writeBulkHeader(count: elements.count, type: type)
        elements.withUnsafeBufferPointer { buffer in
            #if _endian(little)
            bytes.append(contentsOf: UnsafeRawBufferPointer(buffer))
            #else
            for element in buffer { withUnsafeBytes(of: element.littleEndian) { bytes.append(contentsOf: $0) } }
            #endif
        }
    }

    /// Writes `elements` in the bulk form, or as an ordinary array when they are few.
    mutating func writeNumericArray<Element: BinaryFloatingPoint & BitPatternRepresentable>(_ elements: [Element], as type: NumericArrayExtension.ElementType) {
        guard elements.count >= NumericArrayExtension.minimumCount else {
            writeArrayHeader(elements.count)
            for element in elements {
                if type == .float32 { writeFloat(Float(element)) } else { writeDouble(Double(element)) }
            }
            return
        }
        writeBulkHeader(count: elements.count, type: type)
        elements.withUnsafeBufferPointer { buffer in
            #if _endian(little)
            bytes.append(contentsOf: UnsafeRawBufferPointer(buffer))
            #else
            for element in buffer { withUnsafeBytes(of: element.bitPatternValue.littleEndian) { bytes.append(contentsOf: $0) } }
            #endif
        }
    }

    private mutating func writeBulkHeader(count: Int, type: NumericArrayExtension.ElementType) {
        let length = count * type.size
        precondition(length <= 0xffff_ffff, "MessagePack ext is limited to 4 GiB")
        if length <= 0xffff {
            bytes.append(0xc8)
            bytes.append(UInt8(truncatingIfNeeded: length >> 8))
            bytes.append(UInt8(truncatingIfNeeded: length))
        } else {
            bytes.append(0xc9)
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> shift)) }
        }
        bytes.append(UInt8(bitPattern: type.rawValue))
    }
}

/// A floating-point type's bit pattern, for big-endian hosts.
protocol BitPatternRepresentable {
    associatedtype Pattern: FixedWidthInteger
    var bitPatternValue: Pattern { get }
}

extension Double: BitPatternRepresentable {
    var bitPatternValue: UInt64 { bitPattern }
}

extension Float: BitPatternRepresentable {
    var bitPatternValue: UInt32 { bitPattern }
}

extension MessagePackReader {
    /// Whether the next value is the bulk form of a numeric array.
    var nextIsNumericExtension: Bool {
        guard position < bytes.count else { return false }
        switch bytes[position] {
        case 0xc7...0xc9, 0xd4...0xd8: return true
        default: return false
        }
    }

    /// Reads an array of `Element` written in the bulk form as `type`.
    mutating func readNumericExtension<Element>(of elementType: Element.Type, as type: NumericArrayExtension.ElementType) throws(WireError) -> [Element] {
        let start = position
        let (tag, data) = try readExtension()
        guard tag == type.rawValue, MemoryLayout<Element>.size == type.size else {
            position = start
            throw WireError(.typeMismatch, "ext type \(tag) is not an array of \(Element.self) (ext \(type.rawValue))", offset: start)
        }
        guard data.count % type.size == 0 else {
            position = start
            throw WireError(.malformed, "a numeric array of \(data.count) bytes is not a whole number of \(type.size)-byte elements", offset: start)
        }
        let count = data.count / type.size
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(buffer)
            target.copyMemory(from: data)
            #if _endian(big)
            // Elements arrive little-endian.
            for index in 0..<count {
                let base = target.baseAddress! + index * type.size
                for swap in 0..<(type.size / 2) {
                    let a = base.load(fromByteOffset: swap, as: UInt8.self)
                    base.storeBytes(of: base.load(fromByteOffset: type.size - 1 - swap, as: UInt8.self), toByteOffset: swap, as: UInt8.self)
                    base.storeBytes(of: a, toByteOffset: type.size - 1 - swap, as: UInt8.self)
                }
            }
            #endif
            initialized = count
        }
    }
}
