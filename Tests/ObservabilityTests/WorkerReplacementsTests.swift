import Testing
@testable import Troupe

/// Who took a lost worker's place, as the supervisor decides it.
struct WorkerReplacementsTests {
    let start = ContinuousClock.now

    func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }

    @Test func aWorkerThatJoinedAfterTheLostOneWasLastHeardTakesItsPlace() throws {
        var places = WorkerReplacements<String>()
        #expect(places.joined("a", node: "h-1", host: "h", at: at(0)) == nil)
        #expect(places.joined("b", node: "h-2", host: "h", at: at(0)) == nil)
        // "a" crashed at 10; its agent started "c" at once; "a" is declared lost at 13.
        #expect(places.joined("c", node: "h-3", host: "h", at: at(11)) == nil)
        let lost = places.lost("a", node: "h-1", host: "h", restarts: 0, exit: "pid 1 lost", lastHeard: at(10))
        let (successor, record) = try #require(lost)
        #expect(successor == "c" && record == .init(restarts: 1, lastExit: "pid 1 lost"))
        // "b", heard from later than "c" joined, is lost too: no one is left to take its place yet.
        #expect(places.lost("b", node: "h-2", host: "h", restarts: 0, exit: "pid 2 lost", lastHeard: at(12)) == nil)
        let nextPlace = places.joined("d", node: "h-4", host: "h", at: at(14))
        let next = try #require(nextPlace)
        #expect(next.isRestart && next.record == .init(restarts: 1, lastExit: "pid 2 lost"))
    }

    @Test func restartsAddUpAlongAPlace() throws {
        var places = WorkerReplacements<String>()
        _ = places.joined("a", node: "h-1", host: "h", at: at(0))
        #expect(places.lost("a", node: "h-1", host: "h", restarts: 0, exit: "first", lastHeard: at(1)) == nil)
        let secondPlace = places.joined("b", node: "h-2", host: "h", at: at(2))
        let second = try #require(secondPlace)
        #expect(places.lost("b", node: "h-2", host: "h", restarts: second.record.restarts, exit: "second", lastHeard: at(3)) == nil)
        let thirdPlace = places.joined("c", node: "h-3", host: "h", at: at(4))
        let third = try #require(thirdPlace)
        #expect(third.record == .init(restarts: 2, lastExit: "second"))
    }

    @Test func aWorkerOfAnotherHostOrFromBeforeTheLossReplacesNoOne() {
        var places = WorkerReplacements<String>()
        _ = places.joined("old", node: "h-1", host: "h", at: at(0))
        _ = places.joined("early", node: "h-2", host: "h", at: at(1))
        _ = places.joined("other", node: "g-1", host: "g", at: at(6))
        #expect(places.lost("old", node: "h-1", host: "h", restarts: 0, exit: "lost", lastHeard: at(5)) == nil)
    }

    @Test func aLostWorkerThatComesBackIsNoRestart() throws {
        var places = WorkerReplacements<String>()
        _ = places.joined("a", node: "h-1", host: "h", at: at(0))
        #expect(places.lost("a", node: "h-1", host: "h", restarts: 0, exit: "pid 1 lost", lastHeard: at(1)) == nil)
        let backPlace = places.joined("a", node: "h-1", host: "h", at: at(5))
        let back = try #require(backPlace)
        #expect(!back.isRestart && back.record.restarts == 0 && back.record.lastExit.hasPrefix("pid 1 lost"))
        // The place is taken: a newcomer fills nothing.
        #expect(places.joined("b", node: "h-2", host: "h", at: at(6)) == nil)
    }

    @Test func aWorkerThatLeftInOrderReplacesNoOneLater() {
        var places = WorkerReplacements<String>()
        _ = places.joined("a", node: "h-1", host: "h", at: at(0))
        _ = places.joined("b", node: "h-2", host: "h", at: at(2))
        places.forget("b", host: "h")
        #expect(places.lost("a", node: "h-1", host: "h", restarts: 0, exit: "lost", lastHeard: at(1)) == nil)
    }
}
