import Testing
import ZeroMQ

@Suite("Socket monitor", .serialized)
struct MonitorTests {
    @Test("Reports connect, handshake and disconnect", arguments: [Transport.ipc, .tcp])
    func connectAndDisconnect(over transport: Transport) throws {
        let context = try Context()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try makeSocket(context, .router)
        let endpoint = try bind(server, over: transport, in: directory)

        let client = try makeSocket(context, .dealer)
        let monitor = try SocketMonitor(monitoring: client)
        #expect(monitor.endpoint.hasPrefix("inproc://"))
        try client.connect(endpoint)

        let connected = try #require(try monitor.next(of: .connected, timeout: .seconds(10)))
        #expect(connected.endpoint == endpoint)
        #expect(connected.kind == .connected)
        #expect(try monitor.next(of: .handshakeSucceeded, timeout: .seconds(10)) != nil)

        // The peer goes away: the client notices.
        server.close()
        let disconnected = try #require(try monitor.next(of: .disconnected, timeout: .seconds(10)))
        #expect(disconnected.endpoint == endpoint)

        // Closing the monitored socket ends the stream of events.
        client.close()
        #expect(try monitor.next(of: .monitorStopped, timeout: .seconds(10)) != nil)
        monitor.close()
    }

    @Test("The server side sees accepted and disconnected; monitors can be polled")
    func serverSide() throws {
        let context = try Context()
        let server = try makeSocket(context, .router)
        let monitor = try SocketMonitor(monitoring: server, events: [.listening, .accepted, .disconnected])
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(try server.lastEndpoint)
        let listening = try #require(try monitor.receive())
        #expect(listening.kind == .listening)

        let client = try makeSocket(context, .dealer)
        try client.connect(endpoint)
        let poller = Poller()
        poller.add(monitor.socket)
        #expect(try poller.poll(timeout: .seconds(10)) == 1)
        #expect(try monitor.receive(dontWait: true)?.kind == .accepted)

        client.close()
        #expect(try monitor.next(of: .disconnected, timeout: .seconds(10)) != nil)
        try server.stopMonitor()
    }

    @Test("A message larger than maxMessageSize is dropped with its connection")
    func maxMessageSize() throws {
        let context = try Context()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pull = try makeSocket(context, .pull, receiveTimeout: .seconds(10))
        try pull.set(.maxMessageSize, 1024)
        #expect(try pull.get(.maxMessageSize) == 1024)
        let monitor = try SocketMonitor(monitoring: pull, events: [.accepted, .disconnected])
        let endpoint = directory.ipcEndpoint("maxmsg")
        try pull.bind(endpoint)

        let push = try makeSocket(context, .push)
        try push.set(.reconnectInterval, .milliseconds(10))
        try push.connect(endpoint)
        #expect(try monitor.next(of: .accepted, timeout: .seconds(10)) != nil)

        try push.send([UInt8](repeating: 0xAB, count: 4096))
        // libzmq closes the connection when the over-size frame's header arrives.
        #expect(try monitor.next(of: .disconnected, timeout: .seconds(10)) != nil)
        #expect(try pull.receive(dontWait: true) == nil)

        // The pusher reconnects; a frame within the limit is delivered, the big one never.
        #expect(try monitor.next(of: .accepted, timeout: .seconds(10)) != nil)
        try push.send("small")
        let received = try #require(try pull.receive())
        #expect(received.string == "small")
    }

    @Test("Monitor events decode from their two frames, and bad frames are refused")
    func decoding() throws {
        var raw: [UInt8] = []
        withUnsafeBytes(of: UInt16(0x0200)) { raw += $0 }
        withUnsafeBytes(of: UInt32(42)) { raw += $0 }
        let endpoint = Array("tcp://127.0.0.1:1".utf8)
        let event = try #require(raw.withUnsafeBytes { eventFrame in
            endpoint.withUnsafeBytes { SocketEvent(eventFrame: eventFrame, endpointFrame: $0) }
        })
        #expect(event == SocketEvent(kind: .disconnected, value: 42, endpoint: "tcp://127.0.0.1:1"))
        #expect(event.description == "disconnected tcp://127.0.0.1:1 (value 42)")
        #expect(try SocketEvent(frames: [Message(raw), Message(endpoint)]) == event)
        #expect(try SocketEvent(frames: [Message(Array(raw.dropLast())), Message(endpoint)]) == nil)
        #expect(try SocketEvent(frames: [Message(raw)]) == nil)
        #expect(SocketEvent.Kind([.connected, .accepted]).description == "[connected, accepted]")
    }
}
