import Synchronization
import Testing
import ZeroMQ

@Suite("Lifecycle", .serialized)
struct LifecycleTests {
    @Test("A context terminates once its sockets are closed with linger 0, unsent messages and all")
    func terminationWithLingerZero() throws {
        let terminated = TestThread {
            let context = try Context()
            let push = try Socket(context, type: .push)
            try push.set(.linger, .zero)
            #expect(try push.get(.linger) == .zero)
            // A peer that never comes: the message waits in the queue.
            try push.connect("tcp://127.0.0.1:1")
            #expect(try push.send("never delivered", dontWait: true))
            push.close()
            // Releasing the last reference runs zmq_ctx_term, which must not block.
        }
        try terminated.join(within: 20)
    }

    @Test("blocky: false gives new sockets a linger of zero")
    func nonBlockyContext() throws {
        let context = try Context(blocky: false)
        #expect(try context.get(.blocky) == 0)
        let socket = try Socket(context, type: .dealer)
        #expect(try socket.get(.linger) == .zero)
        let defaultSocket = try Socket(try Context(), type: .dealer)
        #expect(try defaultSocket.get(.linger) == .infinite)
    }

    @Test("Closing with a linger delivers what was queued")
    func lingerDelivers() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        try pull.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(try pull.lastEndpoint)
        let push = try Socket(context, type: .push)
        try push.set(.linger, .seconds(10))
        try push.connect(endpoint)
        for index in 0..<100 { try push.send("message \(index)") }
        push.close()
        for index in 0..<100 {
            #expect(try pull.receive()?.string == "message \(index)")
        }
    }

    @Test("Context.shutdown wakes a receive blocked on another thread with ETERM")
    func shutdownWakesBlockedReceive() throws {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.set(.linger, .zero)
        try pull.bind(inprocEndpoint())
        let started = Flag()
        let outcome = Mutex<ZMQError?>(nil)
        let blocked = TestThread {
            started.set()
            do {
                _ = try pull.receive()
            } catch let error as ZMQError {
                outcome.withLock { $0 = error }
            }
            pull.close()
        }
        try started.wait()
        context.shutdown()
        try blocked.join()
        let error = try #require(outcome.withLock { $0 })
        #expect(error.isTerminated)
        // New sockets cannot be made in a shut-down context.
        #expect(throws: ZMQError.self) { try Socket(context, type: .pair) }
        context.shutdown()  // Idempotent.
    }

    @Test("Context options and the socket limit")
    func contextOptions() throws {
        let context = try Context(ioThreads: 2, maxSockets: 3)
        #expect(try context.get(.ioThreads) == 2)
        #expect(try context.get(.maxSockets) == 3)
        #expect(try context.get(.socketLimit) > 3)
        let sockets = try (0..<3).map { _ in try Socket(context, type: .pair) }
        let error = try #require(throws: ZMQError.self) { try Socket(context, type: .pair) }
        #expect(error.operation == "zmq_socket(PAIR)")
        sockets.forEach { $0.close() }
        #expect(throws: ZMQError.self) { try context.set(.socketLimit, 5) }
        #expect(throws: ZMQError.self) { try Context(maxSockets: -5) }
    }

    @Test("A socket made on one thread serves on another (sending hand-over)")
    func transferToThread() throws {
        let context = try Context()
        let server = try makeSocket(context, .rep)
        let endpoint = inprocEndpoint("handover")
        try server.bind(endpoint)
        let done = Flag()
        let owner = TestThread {
            // From here on only this thread touches `server`.
            let request = try server.receive()
            try server.send("served on the owner thread: " + (request?.string ?? "?"))
            try done.wait()
        }
        let client = try makeSocket(context, .req)
        try client.connect(endpoint)
        try client.send("ping")
        #expect(try client.receive()?.string == "served on the owner thread: ping")
        done.set()
        try owner.join()
    }
}
