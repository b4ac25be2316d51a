import Testing
import ZeroMQ

@Suite("Messages", .serialized)
struct MessageTests {
    @Test("Messages copy bytes, strings and slices")
    func construction() throws {
        let empty = Message()
        #expect(empty.count == 0)
        #expect(empty.isEmpty)
        #expect(empty.bytes == [])
        #expect(!empty.more)
        #expect(try Message([1, 2, 3]).bytes == [1, 2, 3])
        #expect(try Message("héllo").string == "héllo")
        #expect(try Message([0, 1, 2, 3, 4][1...3]).bytes == [1, 2, 3])
        let big = [UInt8](repeating: 9, count: 100_000)
        #expect(try Message(big).withUnsafeBytes { $0.count == 100_000 && $0.allSatisfy { $0 == 9 } })
        #expect(try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try Message(copying: $0) }.count == 10)
        #expect(try Message("x").property("Socket-Type") == nil)
    }

    @Test("Zero-copy messages keep the array alive until libzmq is done with it", arguments: [0, 16, 200, 65_536])
    func zeroCopy(count: Int) throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        let endpoint = inprocEndpoint("zerocopy")
        try pull.bind(endpoint)
        try push.connect(endpoint)
        var bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
        let message = try Message(taking: bytes)
        #expect(message.count == count)
        try push.send(message)
        #expect(message.isEmpty)
        // The caller's array is independent (copy-on-write): mutating it changes nothing sent.
        if !bytes.isEmpty { bytes[0] = 0xFF }
        let received = try #require(try pull.receive())
        #expect(received.bytes == (0..<count).map { UInt8(truncatingIfNeeded: $0) })

        try push.send(taking: Array(repeating: 3, count: count))
        #expect(try pull.receive()?.bytes == Array(repeating: 3, count: count))
    }

    @Test("A zero-copy message that is never sent releases its array")
    func zeroCopyUnsent() throws {
        final class Canary: @unchecked Sendable {}
        for _ in 0..<1000 {
            _ = try Message(taking: [UInt8](repeating: 1, count: 10_000))
        }
        let context = try Context()
        let push = try makeSocket(context, .push)
        // No peer: the send fails, the message is released with the box.
        #expect(try push.send(taking: [UInt8](repeating: 2, count: 100_000), dontWait: true) == false)
    }

    @Test("A reused Message receives frame after frame")
    func reuse() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        let endpoint = inprocEndpoint("reuse")
        try pull.bind(endpoint)
        try push.connect(endpoint)
        try push.send(multipart: [Array("a".utf8), Array(repeating: 7, count: 1000)])
        try push.send("c")
        let message = Message()
        #expect(try pull.receive(into: message))
        #expect(message.string == "a")
        #expect(message.more)
        #expect(try pull.receiveMore)
        #expect(try pull.receive(into: message))
        #expect(message.count == 1000)
        #expect(!message.more)
        #expect(try pull.receive(into: message))
        #expect(message.string == "c")

        // Truncating receive into a small buffer reports the full size.
        try push.send([UInt8](repeating: 5, count: 100))
        var small = [UInt8](repeating: 0, count: 10)
        #expect(try small.withUnsafeMutableBytes { try pull.receive(into: $0) } == 100)
        #expect(small == [UInt8](repeating: 5, count: 10))
    }
}
