/// UTF-8 validation without building a `String`, for values that are checked but not read
/// (skipped values, map keys that do not match).
enum UTF8Validation {
    /// Tells whether `bytes` is well-formed UTF-8 (Unicode 15, table 3-7: no overlong forms,
    /// no surrogates, nothing above U+10FFFF).
    /// - Parameter bytes: The bytes to check.
    /// - Returns: `true` when every byte belongs to a well-formed sequence.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        // ASCII fast path, eight bytes at a time.
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xbf
            switch lead {
            case 0xc2...0xdf: length = 2
            case 0xe0: length = 3; low = 0xa0
            case 0xe1...0xec, 0xee, 0xef: length = 3
            case 0xed: length = 3; high = 0x9f
            case 0xf0: length = 4; low = 0x90
            case 0xf1...0xf3: length = 4
            case 0xf4: length = 4; high = 0x8f
            default: return false
            }
            guard index + length <= count else { return false }
            let second = bytes[index + 1]
            guard second >= low, second <= high else { return false }
            var continuation = 2
            while continuation < length {
                guard bytes[index + continuation] & 0xc0 == 0x80 else { return false }
                continuation += 1
            }
            index += length
        }
        return true
    }
}
