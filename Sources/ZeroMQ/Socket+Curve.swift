extension Socket {
    /// Makes this socket a CURVE server (sets ``SocketOption/curveServer`` and
    /// ``SocketOption/curveSecretKey``). Call before ``bind(_:)``. Clients must then know
    /// the matching public key; a ZAP handler, if one is bound on
    /// `inproc://zeromq.zap.01` in this context, decides which clients are let in.
    ///
    /// - Parameter secretKey: The server's secret key, 40 Z85 characters.
    /// - Throws: ``ZMQError``: `EINVAL` for an invalid key, or when libzmq lacks CURVE.
    public func makeCurveServer(secretKey: String) throws {
        try set(.curveServer, true)
        try set(.curveSecretKey, CurveKey(z85: secretKey))
    }

    /// Makes this socket a CURVE client of a server whose public key it knows (sets
    /// ``SocketOption/curveServerKey``, ``SocketOption/curvePublicKey`` and
    /// ``SocketOption/curveSecretKey``). Call before ``connect(_:)``.
    ///
    /// - Parameters:
    ///   - serverPublicKey: The server's public key, 40 Z85 characters.
    ///   - keyPair: The client's own long-term key pair.
    /// - Throws: ``ZMQError``: `EINVAL` for an invalid key, or when libzmq lacks CURVE.
    public func makeCurveClient(serverPublicKey: String, keyPair: Curve.KeyPair) throws {
        try set(.curveServerKey, CurveKey(z85: serverPublicKey))
        try set(.curvePublicKey, CurveKey(z85: keyPair.publicKey))
        try set(.curveSecretKey, CurveKey(z85: keyPair.secretKey))
    }
}
