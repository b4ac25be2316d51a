import TroupePlatform
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport
import TroupeWire

/// Distributed calls into a worker process and back: values, errors, bad calls.
@Suite(.serialized)
struct DistributedCallTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func valuesTravelBothWays() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        #expect(try await process.actor.echo("hello") == "hello")
        #expect(try await process.actor.add(40, 2) == 42)
        let parcel = Parcel(name: "box", weights: [1.5, 2.25], tags: ["a": 1, "b": 2], note: nil)
        let back = try await process.actor.parcel(parcel)
        #expect(back == Parcel(name: "BOX", weights: [1.5, 2.25], tags: ["a": 1, "b": 2], note: nil))
        #expect(try await process.actor.generic("x") == ["x", "x"])
        #expect(try await process.actor.generic(7) == [7, 7])
        try await process.actor.nothing()
    }

    @Test func aCallerOutsideTheMailboxGetsItsReplyAlsoWhenTheReplyNeedsItsOwnProcess() async throws {
        // This task runs on none of the mailbox's threads, so it does the mailbox's turns
        // itself while it waits; the worker's increments are calls back into this process's
        // owner, which must be served meanwhile.
        let manager = try Manager()
        let counts: SharedDictionary<String, Int> = try await manager.dictionary([:])
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let counters = process.actor.actorSystem.counters
        let before = counters.repliesReceivedByCaller.load(ordering: .relaxed)
        for round in 1...30 {
            try await process.actor.increment(counts, key: "n", times: 1, concurrency: 1)
            #expect(try await counts["n"] == round)
        }
        // Some of those replies at least reached this task's thread directly (the machine is
        // shared: a slow one may be left to the mailbox's thread, past the wait's budget).
        #expect(counters.repliesReceivedByCaller.load(ordering: .relaxed) > before)
        // Several callers at once: one of them leads, the others wait as usual.
        let squares = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<8 {
                group.addTask {
                    var sum = 0
                    for i in 0..<25 { sum += try await process.actor.square(caller * 100 + i) }
                    return sum
                }
            }
            return try await group.reduce(0, +)
        }
        let expected = (0..<8).reduce(0) { total, caller in total + (0..<25).reduce(0) { $0 + (caller * 100 + $1) * (caller * 100 + $1) } }
        #expect(squares == expected)
    }

    @Test func theCallRunsInAnotherProcess() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let childPID = try await process.actor.processID()
        #expect(childPID == process.pid)
        #expect(childPID != getpid())
        #expect(ProcessTable.children(of: getpid()).contains(childPID))
    }

    @Test func aCodableErrorComesBackWithItsValue() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        do {
            try await process.actor.fail("bad input")
            Issue.record("the call should have thrown")
        } catch let error as TroupeError {
            #expect(error.code == .remote)
            #expect(error.remoteType == String(reflecting: TestFailure.self))
            #expect(error.message.contains("bad input"))
            #expect(error.decodeRemote(as: TestFailure.self) == TestFailure(message: "bad input"))
        }
    }

    @Test func anyErrorComesBackWithItsTypeAndMessage() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let error = await #expect(throws: TroupeError.self) { try await process.actor.failOpaque("no codable") }
        #expect(error?.code == .remote)
        #expect(error?.remoteType == String(reflecting: OpaqueFailure.self))
        #expect(error?.message.contains("no codable") == true)
        // The worker keeps serving after an error.
        #expect(try await process.actor.echo("still here") == "still here")
    }

    @Test func anUnknownTargetFailsClearlyAndTheWorkerKeepsServing() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let system = try TroupeActorSystem.local()
        let error = await #expect(throws: TroupeError.self) {
            _ = try await system.rawCall(to: process.actor.id, target: "$s6NoSuch6TargetyyF", arguments: [])
        }
        #expect(error?.code == .unknownTarget)
        #expect(try await process.actor.echo("after") == "after")
    }

    @Test func anUnknownActorFailsClearly() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let system = try TroupeActorSystem.local()
        let missing = TroupeActorID(node: process.actor.id.node, number: 999_999)
        let error = await #expect(throws: TroupeError.self) {
            _ = try await system.rawCall(to: missing, target: "$s6NoSuch6TargetyyF", arguments: [])
        }
        #expect(error?.code == .unknownActor)
    }

    @Test func anErrorOfTheWorkersOwnCarriesAStack() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let error = await #expect(throws: TroupeError.self) { try await process.actor.fail("with a stack") }
        let stack = try #require(error?.remoteStack)
        // The function that threw, its type and process first, then the worker's frames.
        #expect(stack.first?.contains("EchoWorker.fail") == true, "\(stack)")
        #expect(stack.first?.contains("TestFailure") == true, "\(stack)")
        #expect(stack.count > 3, "\(stack)")
        #expect(stack.dropFirst().contains { $0.contains("Troupe") || $0.contains("TroupeTestWorker") }, "\(stack)")
    }

    @Test func unencodableResultsAndArgumentsSayWhich() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let result = await #expect(throws: TroupeError.self) { _ = try await process.actor.unencodableResult() }
        #expect(result?.code == .badArguments)
        #expect(result?.message.contains("Unencodable") == true)
        // Troupe's own error, not one the worker's code threw.
        #expect(result?.remoteType == nil, "\(String(describing: result?.remoteType))")
        let argument = await #expect(throws: TroupeError.self) { _ = try await process.actor.take(1, Unencodable()) }
        #expect(argument?.code == .badArguments)
        #expect(argument?.message.contains("argument 2 ('value')") == true, "\(String(describing: argument))")
        #expect(argument?.message.contains("'_'") == false)
        #expect(try await process.actor.add(2, 3) == 5)
    }

    @Test func argumentsThatDoNotDecodeFailAsBadArguments() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        // Find the real target of `add(_:_:)`, then send strings where it takes integers.
        let target = try await EchoWorker.recordedTarget { _ = try await $0.add(1, 2) }
        let system = try TroupeActorSystem.local()
        let error = await #expect(throws: TroupeError.self) {
            _ = try await system.rawCall(to: process.actor.id, target: target,
                                         arguments: [try MessagePackEncoder().encode("one"), try MessagePackEncoder().encode("two")])
        }
        #expect(error?.code == .badArguments)
        let missing = await #expect(throws: TroupeError.self) {
            _ = try await system.rawCall(to: process.actor.id, target: target, arguments: [])
        }
        #expect(missing?.code == .badArguments)
        #expect(try await process.actor.add(2, 3) == 5)
    }

    @Test func manyConcurrentCallsAllComeBack() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let sums = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for index in 0..<2000 {
                group.addTask { (index, try await process.actor.add(index, 1)) }
            }
            var sums: [Int: Int] = [:]
            for try await (index, sum) in group { sums[index] = sum }
            return sums
        }
        #expect(sums.count == 2000)
        #expect(sums.allSatisfy { $0.value == $0.key + 1 })
    }

    @Test func aCallToAWorkerThatDiesFailsWithWorkerCrashed() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        let error = await #expect(throws: TroupeError.self) { try await process.actor.exitProcess(code: 3) }
        #expect(error?.code == .workerCrashed)
        #expect(error?.message.contains("exited with code 3") == true)
        let callAfter = await #expect(throws: TroupeError.self) { _ = try await process.actor.echo("gone") }
        #expect(callAfter != nil)
    }

    @Test func cancellingTheCallerCancelsTheWorkInTheWorker() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let call = Task { try await process.actor.sleep(milliseconds: 60_000) }
        // Cancelled once the worker has started it.
        #expect(await eventually { process.progress?.lastStarted != 0 })
        call.cancel()
        let error = await #expect(throws: TroupeError.self) { try await call.value }
        #expect(error?.code == .cancelled)
        // The worker runs calls one at a time: it answers again only once the sleep was cancelled.
        let answer = try await process.actor.slowEcho("free", milliseconds: 1)
        #expect(answer == "free")
    }

    @Test func largeCallsToOneWorkerWaitForRoomAndAllArrive() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let window = try TroupeActorSystem.local().largeCalls
        // 24 calls of 2 MiB at once, 48 MiB for a window of 32: some wait their turn.
        let texts = (0..<24).map { "\($0):" + String(repeating: "x", count: 2 << 20) }
        let answers = Task {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (index, text) in texts.enumerated() {
                    group.addTask { (index, try await process.actor.slowEcho(text, milliseconds: 20)) }
                }
                var answers = [String](repeating: "", count: texts.count)
                for try await (index, answer) in group { answers[index] = answer }
                return answers
            }
        }
        #expect(await eventually { window.waitingCount(to: process.peer) > 0 })
        // Compared, not printed: a failure would print 48 MiB.
        let received = try await answers.value
        #expect(received == texts, "\(received.filter { !texts.contains($0) }.count) answers differ")
        #expect(window.bytesInFlight(to: process.peer) == 0 && window.waitingCount(to: process.peer) == 0)
    }

    @Test func aLargeCallCancelledWhileItWaitsForRoomHoldsNone() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let window = try TroupeActorSystem.local().largeCalls
        let first = Task { try await process.actor.slowEcho(String(repeating: "a", count: 31 << 20), milliseconds: 2_000).count }
        #expect(await eventually { window.bytesInFlight(to: process.peer) > 0 })
        let second = Task { try await process.actor.echo(String(repeating: "b", count: 2 << 20)).count }
        #expect(await eventually { window.waitingCount(to: process.peer) == 1 })
        second.cancel()
        let error = await #expect(throws: TroupeError.self) { try await second.value }
        #expect(error?.code == .cancelled)
        #expect(window.waitingCount(to: process.peer) == 0)
        #expect(try await first.value == 31 << 20)
        #expect(window.bytesInFlight(to: process.peer) == 0)
    }
}

extension TroupeActorSystem {
    /// Sends a CALL with hand-made contents, as a broken or hostile peer would.
    func rawCall(to id: TroupeActorID, target: String, arguments: [[UInt8]]) async throws -> [UInt8] {
        guard let peer = routes.address(of: id) else { throw TroupeError(.unknownPeer, "no route") }
        let callID = calls.nextID()
        return try await withUnsafeThrowingContinuation { continuation in
            calls.register(callID, peer: peer, continuation: continuation)
            send(.call(Envelope.Call(callID: callID, actor: id.number, target: target, arguments: arguments)), to: peer)
        }
    }
}

