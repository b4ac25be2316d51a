import Synchronization
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport

/// The map family on real worker processes: per-item timeouts, cancellation, the failing
/// item's index, a result per item, streaming input with back-pressure, and `next(timeout:)`.
@Suite(.serialized)
struct MapFamilyTests {
    init() { TestEnvironment.useTestWorker() }

    /// Counts how many items an input handed out.
    final class PullCounter: Sendable {
        private let pulled = Atomic<Int>(0)
        var count: Int { pulled.load(ordering: .relaxed) }
        func next() -> Int { pulled.add(1, ordering: .relaxed).oldValue }
    }

    struct InputFailure: Error, Equatable {}

    @Test func aTimeoutFailsTheItemThatRunsTooLong() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        do {
            _ = try await pool.map([1, 30_000], chunksize: 1, timeout: .milliseconds(500)) { worker, wait in
                try await worker.slowEcho("\(wait)", milliseconds: wait)
            }
            Issue.record("the map should have timed out")
        } catch let error as TroupeError {
            #expect(error.code == .timeout, "\(error)")
            #expect(error.context["item"] == "1", "\(error)")
        }
        // The pool goes on.
        #expect(try await pool.starmap([(2, 3)]) { try await $0.add($1, $2) } == [5])
        pool.close()
        try await pool.join()
    }

    @Test func cancellingTheAwaitingTaskCancelsTheMap() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let map = Task {
            try await pool.map(0..<40, chunksize: 1) { worker, item in
                try await worker.slowEcho("\(item)", milliseconds: 60_000)
            }
        }
        #expect(await eventually { pool.status().running == 2 }, "\(pool.status())")
        map.cancel()
        await #expect(throws: TroupeError.self) { _ = try await map.value }
        // Queued items are dropped and the running ones stopped: the pool empties at once,
        // long before a single item could have finished.
        #expect(await eventually { let status = pool.status(); return status.running == 0 && status.queued == 0 })
        #expect(try await pool.apply { try await $0.square(9) } == 81)
        pool.close()
        try await pool.join()
    }

    @Test func aFailingItemSaysWhichOneItWas() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        do {
            _ = try await pool.map(0..<10) { worker, item -> Int in
                if item == 7 { try await worker.fail("seven") }
                return item
            }
            Issue.record("the map should have failed")
        } catch let error as TroupeError {
            #expect(error.code == .remote)
            #expect(error.context["item"] == "7", "\(error)")
        }
        pool.close()
        try await pool.join()
    }

    @Test func mapResultsGivesEachItemItsOwnOutcome() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let outcomes = try await pool.mapResults(0..<9) { worker, item -> Int in
            if item % 3 == 1 { try await worker.fail("item \(item)") }
            return try await worker.square(item)
        }
        #expect(outcomes.count == 9)
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let value):
                #expect(index % 3 != 1 && value == index * index)
            case .failure(let error as TroupeError):
                #expect(index % 3 == 1)
                #expect(error.context["item"] == "\(index)")
                #expect(error.decodeRemote(as: TestFailure.self)?.message == "item \(index)")
            case .failure(let error):
                Issue.record("unexpected error \(error)")
            }
        }
        pool.close()
        try await pool.join()
    }

    @Test func imapPullsAnEndlessInputOnlyAsWorkersFreeUp() async throws {
        let options = { var options = PoolOptions(); options.pipelineDepth = 4; return options }()
        let pool = try await Pool<EchoWorker>(processes: 2, options: options)
        let counter = PullCounter()
        let endless = AsyncStream<Int>(unfolding: { counter.next() })
        var seen: [Int] = []
        for try await square in try pool.imap(endless, { try await $0.square($1) }) {
            seen.append(square)
            if seen.count == 20 { break }
        }
        #expect(seen == (0..<20).map { $0 * $0 })
        // At most two workers × four items were in flight beyond what was read.
        #expect(counter.count <= 20 + 2 * 4 + 1, "pulled \(counter.count)")
        // Leaving the loop ends the map: nothing more is pulled, the pool empties.
        #expect(await eventually { let status = pool.status(); return status.running == 0 && status.queued == 0 })
        let pulled = counter.count
        #expect(try await pool.apply { try await $0.square(3) } == 9)
        #expect(counter.count == pulled)
        pool.close()
        try await pool.join()
    }

    @Test func aThrowingInputRaisesItsErrorAfterTheEarlierResults() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let input = AsyncThrowingStream<Int, any Error> { continuation in
            for value in 1...3 { continuation.yield(value) }
            continuation.finish(throwing: InputFailure())
        }
        var iterator = try pool.imap(input, { try await $0.square($1) }).makeAsyncIterator()
        #expect(try await iterator.next() == 1)
        #expect(try await iterator.next() == 4)
        #expect(try await iterator.next() == 9)
        await #expect(throws: InputFailure.self) { _ = try await iterator.next() }
        #expect(try await iterator.next() == nil)

        let unordered = AsyncThrowingStream<Int, any Error> { continuation in
            for value in 1...3 { continuation.yield(value) }
            continuation.finish(throwing: InputFailure())
        }
        var values: [Int] = []
        var raised = false
        var results = try pool.imapUnordered(unordered, { try await $0.square($1) }).makeAsyncIterator()
        while true {
            do {
                guard let value = try await results.next() else { break }
                #expect(!raised, "a result came after the input's error")
                values.append(value)
            } catch is InputFailure {
                raised = true
            }
        }
        #expect(raised)
        #expect(values.sorted() == [1, 4, 9])
        pool.close()
        try await pool.join()
    }

    @Test func nextWithATimeoutThrowsTimeoutAndKeepsTheResult() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        var iterator = try pool.imap(["later"], { try await $0.slowEcho($1, milliseconds: 1500) }).makeAsyncIterator()
        do {
            _ = try await iterator.next(timeout: .milliseconds(50))
            Issue.record("next(timeout:) should have timed out")
        } catch let error as TroupeError {
            #expect(error.code == .timeout)
        }
        #expect(try await iterator.next(timeout: .seconds(60)) == "later")
        #expect(try await iterator.next() == nil)
        pool.close()
        try await pool.join()
    }

    @Test func starmapAsyncGivesAFutureList() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let sums = try pool.starmapAsync([(1, 2), (3, 4), (5, 6)]) { try await $0.add($1, $2) }
        #expect(try await sums.get() == [3, 7, 11])
        pool.close()
        try await pool.join()
    }

    @Test func cancellingAMapAsyncResultCancelsTheMap() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let result = try pool.mapAsync(0..<10, chunksize: 1) { worker, item in
            try await worker.slowEcho("\(item)", milliseconds: 60_000)
        }
        #expect(await eventually { pool.status().running == 2 })
        result.cancel()
        await #expect(throws: TroupeError.self) { _ = try await result.get() }
        #expect(await eventually { let status = pool.status(); return status.running == 0 && status.queued == 0 })
        pool.close()
        try await pool.join()
    }
}
