import Testing
@_spi(Testing) @testable import Troupe
import TroupeWire
import TroupeTestSupport

/// The hand-over of a starting worker's READY, or of its early death, to the start that
/// waits for it, whichever comes first.
struct ReadyWaitersTests {
    private let peer = PeerAddress.routed(Array("w".utf8))

    private func ready(_ node: String) -> Envelope.Ready {
        Envelope.Ready(node: node, pid: 42, actorType: "EchoWorker", actor: 7)
    }

    @Test func aWorkerThatDiesBeforeTheWaitStartsFailsTheWait() async throws {
        let waiters = ReadyWaiters()
        waiters.expect("n1")
        // The process exited (its exit handler ran) before the start got to wait for it.
        waiters.abandon(node: "n1", error: TroupeError(.workerStartFailed, "exited with code 1 before it was ready"))
        let error = await #expect(throws: TroupeError.self) { try await waiters.wait(for: "n1") }
        #expect(error?.message.contains("exited with code 1") == true)
    }

    @Test func aReadyBeforeTheWaitIsKeptForIt() async throws {
        let waiters = ReadyWaiters()
        waiters.expect("n1")
        waiters.received(ready("n1"), from: peer)
        let arrival = try await waiters.wait(for: "n1")
        #expect(arrival.ready.actor == 7)
        #expect(arrival.peer == peer)
    }

    @Test func aWorkerThatSaysReadyAndThenDiesBeforeTheWaitFailsIt() async throws {
        let waiters = ReadyWaiters()
        waiters.expect("n1")
        waiters.received(ready("n1"), from: peer)
        waiters.abandon(node: "n1", error: TroupeError(.workerStartFailed, "killed by signal 9"))
        await #expect(throws: TroupeError.self) { try await waiters.wait(for: "n1") }
    }

    @Test func aWaitEndsWithTheReadyOrTheDeathThatFollowsIt() async throws {
        let waiters = ReadyWaiters()
        waiters.expect("n1")
        waiters.expect("n2")
        let first = Task { try await waiters.wait(for: "n1") }
        let second = Task { try await waiters.wait(for: "n2") }
        #expect(await eventually { waiters.waitingCount == 2 })
        waiters.received(ready("n1"), from: peer)
        waiters.abandon(node: "n2", error: TroupeError(.workerStartFailed, "exited with code 3"))
        #expect(try await first.value.ready.node == "n1")
        await #expect(throws: TroupeError.self) { try await second.value }
    }

    @Test func whatComesAfterTheWaitEndedIsNotKept() async throws {
        let waiters = ReadyWaiters()
        waiters.expect("n1")
        waiters.received(ready("n1"), from: peer)
        _ = try await waiters.wait(for: "n1")
        // The worker exits long after its start: its exit handler's abandon finds nothing.
        waiters.abandon(node: "n1", error: TroupeError(.workerStartFailed, "exited with code 0"))
        // A READY no start expects (a forged or late one) is dropped, not stored.
        waiters.received(ready("n1"), from: peer)
        waiters.received(ready("stranger"), from: peer)
        #expect(waiters.entryCount == 0)
    }

    @Test func waitingForAWorkerNobodyStartedFailsAtOnce() async throws {
        let waiters = ReadyWaiters()
        let error = await #expect(throws: TroupeError.self) { try await waiters.wait(for: "nobody") }
        #expect(error?.code == .invalidState)
    }
}
