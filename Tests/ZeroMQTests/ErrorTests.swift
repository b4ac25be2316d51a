import TroupePlatform
import Testing
import ZeroMQ

@Suite("Errors", .serialized)
struct ErrorTests {
    @Test("A failed bind carries errno, its text and the operation")
    func badEndpoint() throws {
        let context = try Context()
        let socket = try makeSocket(context, .rep)
        let error = try #require(throws: ZMQError.self) { try socket.bind("nosuchtransport://x") }
        #expect(error.code == EPROTONOSUPPORT)
        #expect(error.message == String(cString: strerror(EPROTONOSUPPORT)))
        #expect(error.operation == "zmq_bind(nosuchtransport://x)")
        #expect(error.description.hasPrefix("zmq_bind(nosuchtransport://x) failed: "))
        #expect(error.description.hasSuffix("(errno \(EPROTONOSUPPORT))"))

        let invalid = try #require(throws: ZMQError.self) { try socket.bind("tcp://no-such-interface-xyz:1") }
        #expect(!invalid.message.isEmpty)
        #expect(invalid.code != 0)

        // An ipc path in a directory that does not exist.
        let missing = try #require(throws: ZMQError.self) {
            try socket.bind("ipc:///nonexistent-zeromq-test-dir/x.ipc")
        }
        #expect(missing.code == ENOENT)
        #expect(missing.message == "No such file or directory")
    }

    @Test("Address in use, and unbind/disconnect of unknown endpoints")
    func addressInUse() throws {
        let context = try Context()
        let first = try makeSocket(context, .router)
        let second = try makeSocket(context, .router)
        try first.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(try first.lastEndpoint)
        let error = try #require(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error.code == EADDRINUSE)
        #expect(throws: ZMQError.self) { try second.unbind("tcp://127.0.0.1:1") }
        #expect(throws: ZMQError.self) { try second.disconnect("tcp://127.0.0.1:1") }
        try first.unbind(endpoint)
        #expect(eventually { (try? second.bind(endpoint)) != nil })
    }

    @Test("ROUTER_MANDATORY turns a send to an unknown routing id into EHOSTUNREACH")
    func routerMandatory() throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.bind(inprocEndpoint())

        // Without it, the message is dropped silently.
        #expect(try router.send(multipart: [Array("nobody".utf8), Array("lost".utf8)]))

        try router.set(.routerMandatory, true)
        let error = try #require(throws: ZMQError.self) {
            try router.send(multipart: [Array("nobody".utf8), Array("hello".utf8)])
        }
        #expect(error.isHostUnreachable)
        #expect(error.code == EHOSTUNREACH)
        #expect(!error.isAgain)
    }

    @Test("A REQ socket sending twice fails with EFSM")
    func invalidState() throws {
        let context = try Context()
        let request = try makeSocket(context, .req)
        try request.connect(inprocEndpoint())
        try request.set(.sendTimeout, .zero)
        _ = try request.send("first", dontWait: true)
        let error = try #require(throws: ZMQError.self) { try request.send("second") }
        #expect(error.isInvalidState)
        let receiveError = try #require(throws: ZMQError.self) {
            try makeSocket(context, .rep).send("reply before request")
        }
        #expect(receiveError.isInvalidState)
    }

    @Test("Operations on a closed socket throw ENOTSOCK; close is idempotent")
    func closedSocket() throws {
        let context = try Context()
        let socket = try makeSocket(context, .dealer)
        #expect(!socket.isClosed)
        socket.close()
        socket.close()
        #expect(socket.isClosed)
        let error = try #require(throws: ZMQError.self) { try socket.send("x") }
        #expect(error.isClosedSocket)
        #expect(error.operation == "zmq_send")
        #expect(throws: ZMQError.self) { try socket.receive() }
        #expect(throws: ZMQError.self) { try socket.connect("inproc://x") }
        #expect(throws: ZMQError.self) { try socket.set(.linger, .zero) }
        #expect(throws: ZMQError.self) { try socket.get(.linger) }
        #expect(throws: ZMQError.self) { try socket.lastEndpoint }
    }

    @Test("Error helpers match their errno")
    func helpers() {
        #expect(ZMQError(code: EAGAIN, operation: "op").isAgain)
        #expect(ZMQError(code: EINTR, operation: "op").isInterrupted)
        #expect(ZMQError(code: EHOSTUNREACH, operation: "op").isHostUnreachable)
        let custom = ZMQError(code: EINVAL, operation: "op", message: "custom text")
        #expect(custom.message == "custom text")
        #expect(custom.description == "op failed: custom text (errno \(EINVAL))")
    }
}
