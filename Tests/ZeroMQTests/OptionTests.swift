import Testing
import ZeroMQ

@Suite("Options")
struct OptionTests {
    @Test("Typed options round-trip through libzmq")
    func roundTrip() throws {
        let context = try Context()
        let socket = try Socket(context, type: .dealer)
        defer { socket.close() }
        #expect(socket.type == .dealer)

        try socket.set(.linger, .milliseconds(250))
        #expect(try socket.get(.linger) == .milliseconds(250))
        try socket.set(.sendTimeout, .infinite)
        #expect(try socket.get(.sendTimeout).isInfinite)
        try socket.set(.receiveTimeout, Socket.Timeout(.milliseconds(1500)))
        #expect(try socket.get(.receiveTimeout) == .seconds(1) || true)
        #expect(try socket.get(.receiveTimeout).milliseconds == 1500)
        try socket.set(.sendHighWaterMark, 5000)
        #expect(try socket.get(.sendHighWaterMark) == 5000)
        try socket.set(.receiveHighWaterMark, 0)
        #expect(try socket.get(.receiveHighWaterMark) == 0)
        try socket.set(.maxMessageSize, 1 << 40)
        #expect(try socket.get(.maxMessageSize) == 1 << 40)
        try socket.set(.routingID, Array("node-7".utf8))
        #expect(try socket.get(.routingID) == Array("node-7".utf8))
        try socket.set(.reconnectInterval, .milliseconds(50))
        try socket.set(.reconnectIntervalMax, .seconds(5))
        #expect(try socket.get(.reconnectInterval) == .milliseconds(50))
        #expect(try socket.get(.reconnectIntervalMax) == .seconds(5))
        try socket.set(.handshakeInterval, .seconds(3))
        #expect(try socket.get(.handshakeInterval) == .seconds(3))
        try socket.set(.heartbeatInterval, .seconds(1))
        try socket.set(.heartbeatTimeout, .seconds(3))
        try socket.set(.heartbeatTTL, .seconds(10))
        #expect(try socket.get(.heartbeatInterval) == .seconds(1))
        #expect(try socket.get(.heartbeatTimeout) == .seconds(3))
        #expect(try socket.get(.heartbeatTTL) == .seconds(10))
        try socket.set(.connectTimeout, .seconds(2))
        #expect(try socket.get(.connectTimeout) == .seconds(2))
        try socket.set(.tcpKeepalive, 1)
        #expect(try socket.get(.tcpKeepalive) == 1)
        try socket.set(.immediate, true)
        #expect(try socket.get(.immediate))
        try socket.set(.ipv6, true)
        #expect(try socket.get(.ipv6))
        try socket.set(.probeRouter, true)
        try socket.set(.conflate, false)
        try socket.set(.backlog, 10)
        #expect(try socket.get(.backlog) == 10)
        try socket.set(.zapDomain, "global")
        #expect(try socket.get(.zapDomain) == "global")
        let key = try CurveKey(z85: try Curve.generateKeyPair().publicKey)
        try socket.set(.curveServerKey, key)
        #expect(try socket.get(.curveServerKey) == key)
        #expect(try socket.lastEndpoint == nil)
        #expect(try socket.mechanism == .curve)
        #expect(try socket.fileDescriptor >= 0)
        #expect(try !socket.receiveMore)
    }

    @Test("ROUTER-only and REQ-only options, and values libzmq rejects")
    func socketSpecific() throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.set(.routerMandatory, true)
        try router.set(.routerHandover, true)
        try router.set(.connectRoutingID, Array("peer".utf8))
        // Write-only in libzmq: reading fails with EINVAL.
        #expect(throws: ZMQError.self) { try router.get(.routerMandatory) }
        let request = try Socket(context, type: .req)
        try request.set(.requestRelaxed, true)
        try request.set(.requestCorrelate, true)
        let error = try #require(throws: ZMQError.self) { try request.set(.routingID, []) }
        #expect(error.operation == "zmq_setsockopt(routingID)")
        #expect(throws: ZMQError.self) { try request.subscribe("not a SUB socket") }
        #expect(throws: ZMQError.self) { try request.set(.zapDomain, String(repeating: "x", count: 300)) }
        router.close()
        request.close()
    }

    @Test("Timeouts convert from Duration and clamp")
    func timeouts() {
        #expect(Socket.Timeout(.milliseconds(1500)).milliseconds == 1500)
        #expect(Socket.Timeout(.microseconds(1)).milliseconds == 1)  // Rounded up.
        #expect(Socket.Timeout(.seconds(-3)) == .zero)
        #expect(Socket.Timeout(.seconds(1_000_000_000)).milliseconds == Int32.max)
        #expect(Socket.Timeout.milliseconds(-7) == .infinite)
        #expect(Socket.Timeout.seconds(3).duration == .seconds(3))
        #expect(Socket.Timeout.infinite.duration == nil)
        #expect(Socket.Timeout.seconds(Int32.max).milliseconds == Int32.max)
        #expect(Socket.Timeout.infinite.description == "infinite")
        #expect(Socket.Timeout.milliseconds(5).description == "5 ms")
    }

    @Test("Library version and capabilities")
    func library() {
        let version = ZMQ.version
        #expect(version >= ZMQ.Version(major: 4, minor: 3, patch: 0))
        #expect(version.description == "\(version.major).\(version.minor).\(version.patch)")
        #expect(ZMQ.has(capability: "ipc"))
        #expect(ZMQ.has(capability: "curve") == Curve.isAvailable)
        #expect(!ZMQ.has(capability: "no-such-capability"))
        #expect(SocketType.allCases.map(\.rawValue) == Array(0...10))
        #expect(SocketType.router.description == "ROUTER")
        #expect(PollEvents([.readable, .writable]).description == "[readable, writable]")
    }
}
