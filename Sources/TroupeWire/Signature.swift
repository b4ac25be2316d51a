/// The signature frame that starts every Troupe message: `54 52 50 01` — `"TRP"` and the
/// protocol version.
public enum Signature {
    /// The protocol version this implementation speaks.
    public static let version: UInt8 = 1

    /// The signature frame to send: `"TRP"` followed by ``version``.
    public static let bytes: [UInt8] = [0x54, 0x52, 0x50, version]

    /// Checks a received signature frame.
    /// - Parameter frame: The first frame of a message (after any routing frames).
    /// - Throws: `badSignature` when the frame is not four bytes starting with `"TRP"`, or
    ///   `unsupportedVersion` when it is, but with another version.
    public static func check(_ frame: UnsafeRawBufferPointer) throws(WireError) {
        guard frame.count == 4, frame[0] == 0x54, frame[1] == 0x52, frame[2] == 0x50 else {
            let shown = frame.prefix(8).map { hex($0) }.joined(separator: " ")
            throw WireError(.badSignature, "signature frame of \(frame.count) bytes [\(shown)] is not 54 52 50 <version>; the peer does not speak Troupe's protocol", offset: 0)
        }
        guard frame[3] == version else {
            throw WireError(.unsupportedVersion, "protocol version \(frame[3]) is not supported; this peer speaks version \(version)", offset: 3)
        }
    }

    /// Checks a received signature frame.
    /// - Parameter frame: The first frame of a message (after any routing frames).
    /// - Throws: `badSignature` or `unsupportedVersion`, as for a buffer.
    public static func check(_ frame: [UInt8]) throws(WireError) {
        let result: Result<Void, WireError> = frame.withUnsafeBytes { buffer in
            do throws(WireError) {
                try check(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return byte < 16 ? "0" + digits : digits
    }
}
