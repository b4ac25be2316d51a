internal import TroupePlatform
internal import CZeroMQ

/// CurveZMQ keys and the Z85 text encoding they are usually stored in.
public enum Curve {
    /// A CURVE key pair, each key as 40 characters of Z85.
    public struct KeyPair: Sendable, Hashable, CustomStringConvertible {
        /// The public key (Z85, 40 characters): give it to peers.
        public let publicKey: String
        /// The secret key (Z85, 40 characters): keep it private.
        public let secretKey: String

        /// Creates a key pair from Z85 keys, checking both.
        ///
        /// - Parameters:
        ///   - publicKey: The public key, 40 Z85 characters.
        ///   - secretKey: The matching secret key, 40 Z85 characters.
        /// - Throws: ``ZMQError`` (`EINVAL`) if a key is not valid Z85 of 32 bytes.
        public init(publicKey: String, secretKey: String) throws {
            _ = try CurveKey(z85: publicKey)
            _ = try CurveKey(z85: secretKey)
            self.publicKey = publicKey
            self.secretKey = secretKey
        }

        /// Makes a pair from keys already known to be valid.
        init(checkedPublicKey: String, checkedSecretKey: String) {
            self.publicKey = checkedPublicKey
            self.secretKey = checkedSecretKey
        }

        /// Shows the public key only, never the secret one.
        public var description: String { "KeyPair(public: \(publicKey), secret: <redacted>)" }
    }

    /// Whether libzmq was built with CURVE (`zmq_has("curve")`).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// Generates a new random key pair (`zmq_curve_keypair`).
    ///
    /// - Returns: The pair, each key as 40 Z85 characters.
    /// - Throws: ``ZMQError`` (`ENOTSUP`) when libzmq has no CURVE support.
    public static func generateKeyPair() throws -> KeyPair {
        var publicKey = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        var secretKey = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw ZMQError.last("zmq_curve_keypair")
        }
        return KeyPair(checkedPublicKey: string(fromCString: publicKey), checkedSecretKey: string(fromCString: secretKey))
    }

    /// Derives the public key of a secret key (`zmq_curve_public`).
    ///
    /// - Parameter secretKey: The secret key, 40 Z85 characters.
    /// - Returns: The public key, 40 Z85 characters.
    /// - Throws: ``ZMQError``: `EINVAL` when `secretKey` is not valid Z85 of 32 bytes,
    ///   `ENOTSUP` when libzmq has no CURVE support.
    public static func publicKey(fromSecret secretKey: String) throws -> String {
        // Check first: libzmq decodes into a fixed 32-byte buffer without a length check.
        _ = try CurveKey(z85: secretKey)
        var publicKey = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else {
            throw ZMQError.last("zmq_curve_public")
        }
        return string(fromCString: publicKey)
    }

    /// Encodes bytes as Z85 (`zmq_z85_encode`; ZeroMQ RFC 32).
    ///
    /// - Parameter bytes: The data; its length must be a multiple of 4 (a 32-byte key
    ///   gives 40 characters).
    /// - Returns: The Z85 text, 5 characters per 4 bytes.
    /// - Throws: ``ZMQError`` (`EINVAL`) when the length is not a multiple of 4.
    public static func z85Encode(_ bytes: [UInt8]) throws -> String {
        guard bytes.count % 4 == 0 else {
            throw ZMQError.invalidArgument(
                "zmq_z85_encode(\(bytes.count) bytes)",
                "Z85 encodes whole groups of 4 bytes: pad the data to a multiple of 4")
        }
        if bytes.isEmpty { return "" }
        var text = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else {
            throw ZMQError.last("zmq_z85_encode(\(bytes.count) bytes)")
        }
        return string(fromCString: text)
    }

    /// Decodes Z85 text (`zmq_z85_decode`; ZeroMQ RFC 32).
    ///
    /// - Parameter string: The text; its length must be a multiple of 5, and it may hold
    ///   only the 85 Z85 characters.
    /// - Returns: The bytes, 4 per 5 characters.
    /// - Throws: ``ZMQError`` (`EINVAL`) for a bad length, a character outside the Z85
    ///   alphabet, or a group whose value does not fit in 4 bytes.
    public static func z85Decode(_ string: String) throws -> [UInt8] {
        let utf8 = string.utf8
        guard utf8.count % 5 == 0 else {
            throw ZMQError.invalidArgument(
                "zmq_z85_decode(\(utf8.count) characters)",
                "Z85 text comes in groups of 5 characters: check that the key was copied whole")
        }
        if utf8.isEmpty { return [] }
        // A NUL would end the C string early, and non-ASCII is never Z85.
        guard utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ZMQError.invalidArgument(
                "zmq_z85_decode(\(utf8.count) characters)",
                "the text holds a character outside the Z85 alphabet")
        }
        var bytes = [UInt8](repeating: 0, count: utf8.count / 5 * 4)
        guard zmq_z85_decode(&bytes, string) != nil else {
            throw ZMQError.invalidArgument(
                "zmq_z85_decode(\(utf8.count) characters)",
                "the text is not valid Z85 (a character outside the alphabet, or a group above 2^32-1)")
        }
        return bytes
    }

    /// Makes a String of a NUL-terminated C buffer without reading past its end.
    ///
    /// - Parameter buffer: The buffer, NUL-terminated within its bounds.
    /// - Returns: The text before the first NUL.
    private static func string(fromCString buffer: [CChar]) -> String {
        let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
