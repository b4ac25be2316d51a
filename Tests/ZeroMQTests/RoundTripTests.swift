import Testing
import ZeroMQ

@Suite("Round trips", .serialized)
struct RoundTripTests {
    @Test("REQ/REP round trip", arguments: Transport.allCases)
    func requestReply(over transport: Transport) throws {
        let context = try Context()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try makeSocket(context, .rep)
        let client = try makeSocket(context, .req)
        try client.connect(try bind(server, over: transport, in: directory))

        // The server socket was made here and is handed to its own thread.
        let done = Flag()
        let thread = TestThread {
            for _ in 0..<3 {
                guard let request = try server.receive() else { throw TestFailure("server timed out") }
                try server.send("echo:" + request.string)
            }
            try done.wait()
            server.close()
        }
        for index in 0..<3 {
            try client.send("hello \(index)")
            let reply = try #require(try client.receive())
            #expect(reply.string == "echo:hello \(index)")
            #expect(!reply.more)
        }
        done.set()
        try thread.join()
    }

    @Test("DEALER/ROUTER round trip with a routing id", arguments: Transport.allCases)
    func dealerRouter(over transport: Transport) throws {
        let context = try Context()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let router = try makeSocket(context, .router)
        let dealer = try makeSocket(context, .dealer)
        try dealer.set(.routingID, Array("worker-1".utf8))
        try dealer.connect(try bind(router, over: transport, in: directory))

        let done = Flag()
        let thread = TestThread {
            let identity = Message()
            let payload = Message()
            for _ in 0..<5 {
                guard try router.receive(into: identity) else { throw TestFailure("router timed out") }
                guard identity.more else { throw TestFailure("routing id without payload") }
                guard identity.string == "worker-1" else { throw TestFailure("wrong id \(identity.string)") }
                try router.receive(into: payload)
                // Echo both frames back without copying; the messages are reused next time.
                try router.send(identity, more: true)
                try router.send(payload)
                guard identity.isEmpty, payload.isEmpty else { throw TestFailure("sent messages not emptied") }
            }
            try done.wait()
            router.close()
        }
        var buffer = [UInt8](repeating: 0, count: 64)
        for index in 0..<5 {
            let request: [UInt8] = (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            try dealer.send(request)
            let size = try buffer.withUnsafeMutableBytes { try dealer.receive(into: $0) }
            #expect(size == 16)
            #expect(Array(buffer[0..<16]) == request)
        }
        done.set()
        try thread.join()
    }

    @Test("Multipart frames keep their order, sizes and more-flags", arguments: [Transport.inproc, .tcp])
    func multipart(over transport: Transport) throws {
        let context = try Context()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let router = try makeSocket(context, .router)
        let dealer = try makeSocket(context, .dealer)
        try dealer.connect(try bind(router, over: transport, in: directory))

        let frames: [[UInt8]] = [Array("header".utf8), [], Array(repeating: 7, count: 5000), [1], Array("end".utf8)]
        try dealer.send(multipart: frames)
        let received = try #require(try router.receiveMultipart())
        #expect(received.count == frames.count + 1)  // The routing id first.
        #expect(received.dropFirst().map(\.bytes) == frames)
        #expect(received.dropLast().allSatisfy { $0.more })
        #expect(received.last?.more == false)

        // Reply with the received frames themselves (zero-copy), routing id first.
        try router.send(multipart: received)
        let reply = try #require(try dealer.receiveMultipart())
        #expect(reply.map(\.bytes) == frames)
        #expect(received.allSatisfy { $0.isEmpty })

        #expect(throws: ZMQError.self) { try dealer.send(multipart: [[UInt8]]()) }
    }

    @Test("PUSH/PULL delivers many messages in order", arguments: [Transport.inproc, .ipc])
    func pushPull(over transport: Transport) throws {
        let context = try Context()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bind(pull, over: transport, in: directory))
        let count = 20_000

        let done = Flag()
        let sender = TestThread {
            for index in 0..<count {
                var value = UInt32(index).littleEndian
                try withUnsafeBytes(of: &value) { _ = try push.send($0) }
            }
            // Some large frames through the zero-copy path.
            for index in 0..<10 {
                try push.send(taking: [UInt8](repeating: UInt8(index), count: 70_000))
            }
            // Keep the socket (and its queue) alive until everything was received.
            try done.wait(within: 60)
            push.close()
        }
        let message = Message()
        for index in 0..<count {
            guard try pull.receive(into: message) else { throw TestFailure("timed out at \(index)") }
            let value = message.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            #expect(UInt32(littleEndian: value) == UInt32(index))
        }
        for index in 0..<10 {
            let big = try #require(try pull.receive())
            #expect(big.count == 70_000)
            #expect(big.withUnsafeBytes { $0.allSatisfy { $0 == UInt8(index) } })
        }
        done.set()
        try sender.join()
    }

    @Test("XPUB sees the subscription, SUB gets only its topic")
    func publishSubscribe() throws {
        let context = try Context()
        let publisher = try makeSocket(context, .xpub)
        let subscriber = try makeSocket(context, .sub)
        let endpoint = inprocEndpoint("pubsub")
        try publisher.bind(endpoint)
        try subscriber.connect(endpoint)
        try subscriber.subscribe("news.")

        // Waiting for the subscription message avoids the slow-joiner race.
        let subscription = try #require(try publisher.receive())
        #expect(subscription.bytes == [1] + Array("news.".utf8))

        try publisher.send("sport.goal")
        try publisher.send("news.today")
        let received = try #require(try subscriber.receive())
        #expect(received.string == "news.today")
        #expect(try subscriber.receive(dontWait: true) == nil)

        try subscriber.unsubscribe("news.")
        let unsubscription = try #require(try publisher.receive())
        #expect(unsubscription.bytes == [0] + Array("news.".utf8))
    }

    @Test("dontWait returns nil/false instead of blocking")
    func dontWait() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        try pull.bind(inprocEndpoint())
        #expect(try pull.receive(dontWait: true) == nil)
        #expect(try pull.receiveMultipart(dontWait: true) == nil)
        #expect(try pull.receiveBytes(dontWait: true) == nil)
        #expect(try pull.receive(into: Message(), dontWait: true) == false)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(try buffer.withUnsafeMutableBytes { try pull.receive(into: $0, dontWait: true) } == nil)

        // A PUSH socket with no peer cannot queue anything.
        let push = try makeSocket(context, .push)
        #expect(try push.send("nobody", dontWait: true) == false)
        #expect(try push.send(multipart: [[1], [2]], dontWait: true) == false)
        #expect(try push.send(Message("x"), dontWait: true) == false)

        // A receive timeout also gives nil.
        try pull.set(.receiveTimeout, .milliseconds(20))
        #expect(try pull.receive() == nil)
    }
}
