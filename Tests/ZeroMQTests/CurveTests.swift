import Testing
import ZeroMQ

@Suite("CURVE", .serialized, .enabled(if: Curve.isAvailable, "libzmq was built without CURVE"))
struct CurveTests {
    @Test("Key pairs are 40-character Z85 keys whose public half derives from the secret")
    func keyGeneration() throws {
        let pair = try Curve.generateKeyPair()
        #expect(pair.publicKey.utf8.count == 40)
        #expect(pair.secretKey.utf8.count == 40)
        #expect(try Curve.publicKey(fromSecret: pair.secretKey) == pair.publicKey)
        #expect(try Curve.generateKeyPair() != pair)
        #expect(!pair.description.contains(pair.secretKey))
        #expect(try CurveKey(z85: pair.publicKey).bytes.count == 32)
        #expect(try Curve.KeyPair(publicKey: pair.publicKey, secretKey: pair.secretKey) == pair)
        #expect(throws: ZMQError.self) { try Curve.publicKey(fromSecret: "too short") }
        #expect(throws: ZMQError.self) { try Curve.publicKey(fromSecret: pair.secretKey + "12345") }
        #expect(throws: ZMQError.self) { try Curve.KeyPair(publicKey: "x", secretKey: pair.secretKey) }
    }

    @Test("Z85 round trip, the RFC 32 test vector, and rejected input")
    func z85() throws {
        // ZeroMQ RFC 32 test vector.
        let vector: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Curve.z85Encode(vector) == "HelloWorld")
        #expect(try Curve.z85Decode("HelloWorld") == vector)
        for count in [0, 4, 32, 64, 400] {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255) }
            let text = try Curve.z85Encode(bytes)
            #expect(text.utf8.count == count / 4 * 5)
            #expect(try Curve.z85Decode(text) == bytes)
        }
        #expect(throws: ZMQError.self) { try Curve.z85Encode([1, 2, 3]) }
        #expect(throws: ZMQError.self) { try Curve.z85Decode("abcd") }  // Not a multiple of 5.
        #expect(throws: ZMQError.self) { try Curve.z85Decode("ab\"cd") }  // '"' is not Z85.
        #expect(throws: ZMQError.self) { try Curve.z85Decode("ab cd") }
        #expect(throws: ZMQError.self) { try Curve.z85Decode("abc\u{0}d") }
        #expect(throws: ZMQError.self) { try Curve.z85Decode("ééééé") }
        #expect(throws: ZMQError.self) { try Curve.z85Decode("#####") }  // Above 2^32 - 1.

        let key = try CurveKey(bytes: Array(0..<32))
        #expect(try CurveKey(z85: key.z85) == key)
        #expect(key.description == "CurveKey(32 bytes)")
        #expect(throws: ZMQError.self) { try CurveKey(bytes: [1, 2, 3]) }
        #expect(throws: ZMQError.self) { try CurveKey(z85: "HelloWorld") }
    }

    @Test("An encrypted DEALER/ROUTER exchange with a CURVE server")
    func encryptedExchange() throws {
        let context = try Context()
        let serverKeys = try Curve.generateKeyPair()
        let clientKeys = try Curve.generateKeyPair()
        let server = try makeSocket(context, .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(try server.lastEndpoint)

        let client = try makeSocket(context, .dealer)
        try client.makeCurveClient(serverPublicKey: serverKeys.publicKey, keyPair: clientKeys)
        try client.connect(endpoint)
        #expect(try server.mechanism == .curve)
        #expect(try client.mechanism == .curve)
        #expect(try server.get(.curveServer))
        #expect(try client.get(.curveServerKey) == CurveKey(z85: serverKeys.publicKey))
        #expect(try client.get(.curvePublicKey).z85 == clientKeys.publicKey)

        try client.send("confidential")
        let request = try #require(try server.receiveMultipart())
        #expect(request.count == 2)
        #expect(request.last?.string == "confidential")
        #expect(request.last?.property("Socket-Type") == "DEALER")
        try server.send(multipart: [request[0].bytes, Array("acknowledged".utf8)])
        #expect(try client.receive()?.string == "acknowledged")
    }

    @Test("A client with the wrong server key gets nothing, and the server sees the failed handshake")
    func wrongServerKey() throws {
        let context = try Context()
        let serverKeys = try Curve.generateKeyPair()
        let impostorKeys = try Curve.generateKeyPair()
        let server = try makeSocket(context, .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        let monitor = try SocketMonitor(monitoring: server)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(try server.lastEndpoint)

        let client = try makeSocket(context, .dealer, receiveTimeout: .milliseconds(300))
        try client.set(.reconnectInterval, .infinite)
        try client.makeCurveClient(serverPublicKey: impostorKeys.publicKey, keyPair: try Curve.generateKeyPair())
        try client.connect(endpoint)
        // The handshake may already have failed and dropped the only pipe: do not block.
        _ = try client.send("should never arrive", dontWait: true)

        let failure = try #require(try monitor.next(of: [.handshakeFailedProtocol, .handshakeFailedNoDetail], timeout: .seconds(10)))
        #expect(failure.kind == .handshakeFailedProtocol)
        #expect(failure.value == 0x1100_0001)  // ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
        #expect(try client.receive() == nil)
        #expect(try server.receive(dontWait: true) == nil)
    }

    @Test("A ZAP handler on inproc://zeromq.zap.01 admits one client key and refuses another")
    func zapHandler() throws {
        let context = try Context()
        let serverKeys = try Curve.generateKeyPair()
        let alice = try Curve.generateKeyPair()
        let mallory = try Curve.generateKeyPair()

        // The handler: a REP socket, multipart in and out (ZeroMQ RFC 27).
        let zap = try makeSocket(context, .rep, receiveTimeout: .milliseconds(20))
        try zap.bind("inproc://zeromq.zap.01")
        let done = Flag()
        let allowedKey = alice.publicKey
        let handler = TestThread {
            while !done.isSet {
                guard let request = try zap.receiveMultipart() else { continue }
                guard request.count == 7, request[0].string == "1.0" else {
                    throw TestFailure("malformed ZAP request of \(request.count) frames")
                }
                let domain = request[2].string
                let mechanism = request[5].string
                let clientKey = try CurveKey(bytes: request[6].bytes).z85
                let admitted = domain == "troupe-test" && mechanism == "CURVE" && clientKey == allowedKey
                try zap.send(multipart: [
                    Array("1.0".utf8), request[1].bytes,
                    Array((admitted ? "200" : "400").utf8), Array((admitted ? "OK" : "unknown key").utf8),
                    Array((admitted ? "alice" : "").utf8), [],
                ])
            }
            zap.close()
        }

        let server = try makeSocket(context, .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey)
        try server.set(.zapDomain, "troupe-test")
        #expect(try server.get(.zapDomain) == "troupe-test")
        let monitor = try SocketMonitor(monitoring: server, events: [.handshakeSucceeded, .handshakeFailedAuth])
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(try server.lastEndpoint)

        let admitted = try makeSocket(context, .dealer)
        try admitted.makeCurveClient(serverPublicKey: serverKeys.publicKey, keyPair: alice)
        try admitted.connect(endpoint)
        try admitted.send("hello from alice")
        let request = try #require(try server.receiveMultipart())
        #expect(request.last?.string == "hello from alice")
        #expect(request.last?.property("User-Id") == "alice")
        #expect(try monitor.next(of: .handshakeSucceeded, timeout: .seconds(10)) != nil)

        let refused = try makeSocket(context, .dealer, receiveTimeout: .milliseconds(200))
        try refused.set(.reconnectInterval, .infinite)
        try refused.makeCurveClient(serverPublicKey: serverKeys.publicKey, keyPair: mallory)
        try refused.connect(endpoint)
        _ = try refused.send("hello from mallory", dontWait: true)
        let denial = try #require(try monitor.next(of: .handshakeFailedAuth, timeout: .seconds(10)))
        #expect(denial.value == 400)
        #expect(try server.receive(dontWait: true) == nil)

        done.set()
        try handler.join()
    }
}
