/// A 32-byte CURVE key (public, secret or a server's public key), for the
/// ``SocketOption/curvePublicKey``, ``SocketOption/curveSecretKey`` and
/// ``SocketOption/curveServerKey`` options.
///
/// Made from raw bytes or from 40 characters of Z85; ``description`` never shows the key,
/// so a secret key does not end up in a log by accident.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    /// The key length in bytes.
    public static let byteCount = 32

    /// The key length in Z85 characters.
    public static let z85Count = 40

    /// The key's 32 bytes.
    public let bytes: [UInt8]

    /// Creates a key from its raw bytes.
    ///
    /// - Parameter bytes: Exactly 32 bytes.
    /// - Throws: ``ZMQError`` (`EINVAL`) for any other length.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == CurveKey.byteCount else {
            throw ZMQError.invalidArgument(
                "CurveKey(bytes:)", "a CURVE key is 32 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Creates a key from its Z85 text.
    ///
    /// - Parameter z85: Exactly 40 Z85 characters, as made by ``Curve/generateKeyPair()``.
    /// - Throws: ``ZMQError`` (`EINVAL`) for another length or invalid Z85.
    public init(z85: String) throws {
        guard z85.utf8.count == CurveKey.z85Count else {
            throw ZMQError.invalidArgument(
                "CurveKey(z85:)",
                "a Z85 CURVE key is 40 characters, not \(z85.utf8.count): check that it was copied whole")
        }
        try self.init(bytes: Curve.z85Decode(z85))
    }

    /// The key as 40 characters of Z85.
    public var z85: String {
        // 32 bytes is a multiple of 4, so encoding cannot fail.
        (try? Curve.z85Encode(bytes)) ?? ""
    }

    /// `"CurveKey(32 bytes)"`: the key itself is never shown.
    public var description: String { "CurveKey(32 bytes)" }
}
