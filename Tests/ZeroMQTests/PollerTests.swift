import TroupePlatform
import Testing
import ZeroMQ

@Suite("Poller", .serialized)
struct PollerTests {
    @Test("Polls two sockets and an eventfd together, reusing its items")
    func socketsAndEventFD() throws {
        let context = try Context()
        let first = try makeSocket(context, .pull)
        let second = try makeSocket(context, .pull)
        let firstPush = try makeSocket(context, .push)
        let secondPush = try makeSocket(context, .push)
        let firstEndpoint = inprocEndpoint("first")
        let secondEndpoint = inprocEndpoint("second")
        try first.bind(firstEndpoint)
        try second.bind(secondEndpoint)
        try firstPush.connect(firstEndpoint)
        try secondPush.connect(secondEndpoint)
        let eventFD = try makeEventFD()
        defer { close(eventFD) }

        let poller = Poller()
        let firstIndex = poller.add(first, events: .readable)
        let secondIndex = poller.add(second)
        let eventIndex = poller.add(fileDescriptor: eventFD, events: .readable)
        #expect(poller.count == 3)
        #expect(poller.events(at: secondIndex) == .readable)

        // Nothing ready: a zero timeout returns at once.
        #expect(try poller.poll(timeout: .zero) == 0)
        #expect(poller.returnedEvents(at: firstIndex).isEmpty)

        // Only the eventfd.
        signal(eventFD: eventFD)
        #expect(try poller.poll(timeout: .seconds(10)) == 1)
        #expect(poller.returnedEvents(at: eventIndex) == .readable)
        #expect(poller.returnedEvents(at: firstIndex).isEmpty)
        #expect(poller.returnedEvents(at: secondIndex).isEmpty)
        #expect(drain(eventFD: eventFD) == 1)

        // Only the second socket.
        try secondPush.send("two")
        #expect(try poller.poll(milliseconds: 10_000) == 1)
        #expect(poller.returnedEvents(at: secondIndex).contains(.readable))
        #expect(poller.returnedEvents(at: firstIndex).isEmpty)
        #expect(poller.returnedEvents(at: eventIndex).isEmpty)
        #expect(try second.receive(dontWait: true)?.string == "two")

        // All three at once.
        try firstPush.send("one")
        try secondPush.send("two again")
        signal(eventFD: eventFD, 5)
        #expect(try eventually { try poller.poll(timeout: .seconds(1)) == 3 })
        #expect(try first.receive(dontWait: true)?.string == "one")
        #expect(try second.receive(dontWait: true)?.string == "two again")
        #expect(drain(eventFD: eventFD) == 5)

        // An item whose events are cleared is ignored.
        try firstPush.send("ignored")
        poller.setEvents([], at: firstIndex)
        #expect(try poller.poll(timeout: .zero) == 0)
        poller.setEvents(.readable, at: firstIndex)
        #expect(try poller.poll(timeout: .seconds(10)) == 1)

        // Writable: a connected PUSH can send.
        let writePoller = Poller()
        let pushIndex = writePoller.add(firstPush, events: [.readable, .writable])
        #expect(try writePoller.poll(timeout: .seconds(10)) == 1)
        #expect(writePoller.returnedEvents(at: pushIndex) == .writable)

        // A closed socket is reported, not polled.
        second.close()
        #expect {
            try poller.poll(timeout: .zero)
        } throws: { error in
            (error as? ZMQError)?.isClosedSocket == true
        }
        poller.removeAll()
        #expect(poller.count == 0)
    }

    @Test("A socket's ZMQ_FD and ZMQ_EVENTS signal readiness")
    func fileDescriptorAndEvents() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        let endpoint = inprocEndpoint()
        try pull.bind(endpoint)
        try push.connect(endpoint)
        let fd = try pull.fileDescriptor
        #expect(fd >= 0)
        #expect(try !pull.events.contains(.readable))

        try push.send("wake")
        // Wait on the descriptor (edge-triggered), then check ZMQ_EVENTS, as an event loop would.
        let poller = Poller()
        poller.add(fileDescriptor: fd, events: .readable)
        #expect(try eventually {
            _ = try poller.poll(timeout: .milliseconds(100))
            return try pull.events.contains(.readable)
        })
        #expect(try pull.receive(dontWait: true)?.string == "wake")
        #expect(try !pull.events.contains(.readable))
        #expect(try push.events.contains(.writable))
    }
}
