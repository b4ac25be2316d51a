/// A W3C Trace Context `traceparent` value: which trace a call belongs to, and which span of
/// the caller's is its parent (<https://www.w3.org/TR/trace-context/#traceparent-header>).
///
/// The text is `version-traceid-parentid-flags` in lowercase hexadecimal, such as
/// `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`. Parsing follows the
/// recommendation's rules for a receiver: version `ff` is invalid; version `00` is exactly 55
/// characters; a later version may add fields after a `-` at character 55, which are
/// ignored; the trace id (32 digits) and the parent id (16 digits) must not be all zeros;
/// uppercase digits are invalid.
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// The format's version (0 today).
    public var version: UInt8
    /// The trace's identifier: 32 lowercase hexadecimal digits, not all zero.
    public var traceID: String
    /// The identifier of the caller's span: 16 lowercase hexadecimal digits, not all zero.
    public var parentID: String
    /// The trace flags; bit 0 is "sampled".
    public var flags: UInt8

    /// Whether the caller recorded its span (flag bit 0).
    public var isSampled: Bool { flags & 1 != 0 }

    /// Parses a `traceparent` text.
    /// - Parameter text: The text, as a field's value.
    /// - Returns: nil when the text is not a valid `traceparent`.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"),
              bytes[52] == UInt8(ascii: "-"),
              let version = Self.hexValue(bytes[0..<2]), version != 0xff,
              Self.isLowercaseHex(bytes[3..<35]), Self.isLowercaseHex(bytes[36..<52]),
              let flags = Self.hexValue(bytes[53..<55]) else { return nil }
        if version == 0 {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55 {
            guard bytes[55] == UInt8(ascii: "-") else { return nil }
        }
        let traceID = bytes[3..<35], parentID = bytes[36..<52]
        guard traceID.contains(where: { $0 != UInt8(ascii: "0") }),
              parentID.contains(where: { $0 != UInt8(ascii: "0") }) else { return nil }
        self.version = UInt8(version)
        self.traceID = String(decoding: traceID, as: UTF8.self)
        self.parentID = String(decoding: parentID, as: UTF8.self)
        self.flags = UInt8(flags)
    }

    /// The text in version 0's form: `00-traceid-parentid-flags` (the version this type writes
    /// whatever version it read, as the recommendation asks of a caller that passes one on).
    public var description: String {
        "00-\(traceID)-\(parentID)-\(Self.hex(flags))"
    }

    private static func isLowercaseHex(_ digits: ArraySlice<UInt8>) -> Bool {
        digits.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func hexValue(_ digits: ArraySlice<UInt8>) -> Int? {
        guard isLowercaseHex(digits) else { return nil }
        return digits.reduce(0) { value, digit in value * 16 + Int(digit <= 0x39 ? digit - 0x30 : digit - 0x61 + 10) }
    }

    private static func hex(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return value < 16 ? "0" + digits : digits
    }
}
