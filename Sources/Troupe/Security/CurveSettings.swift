import ZeroMQ

/// CURVE settings of a node that accepts connections over TCP: its key pair. Clients must
/// know its public key; the allow-list of client keys is enforced by the ZAP handler.
public struct CurveServerSettings: Sendable {
    /// The server's public key (Z85, 40 characters).
    public var publicKey: String
    /// The server's secret key (Z85, 40 characters).
    public var secretKey: String

    /// Creates settings from a key pair.
    /// - Parameters:
    ///   - publicKey: the server's public key (Z85, 40 characters).
    ///   - secretKey: the server's secret key (Z85, 40 characters).
    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    func apply(to socket: Socket) throws {
        try socket.set(.curveServer, true)
        try socket.set(.curveSecretKey, CurveKey(z85: secretKey))
        try socket.set(.zapDomain, "troupe")
    }
}

/// CURVE settings of a node that connects to a secured endpoint: the server's public key
/// and this node's own key pair (whose public half must be in the server's allow-list).
public struct CurveClientSettings: Sendable, Hashable {
    /// The server's public key (Z85).
    public var serverKey: String
    /// This node's public key (Z85).
    public var publicKey: String
    /// This node's secret key (Z85).
    public var secretKey: String

    /// Creates client settings; ``KeyFiles/clientSettings(serverKey:key:)`` reads them from files.
    /// - Parameters:
    ///   - serverKey: the server's public key (Z85).
    ///   - publicKey: this node's public key (Z85).
    ///   - secretKey: this node's secret key (Z85).
    public init(serverKey: String, publicKey: String, secretKey: String) {
        self.serverKey = serverKey
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    func apply(to socket: Socket) throws {
        try socket.set(.curveServerKey, CurveKey(z85: serverKey))
        try socket.set(.curvePublicKey, CurveKey(z85: publicKey))
        try socket.set(.curveSecretKey, CurveKey(z85: secretKey))
    }
}
