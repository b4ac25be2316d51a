import TroupePlatform
import Synchronization
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport

/// The pool's semantics, in the spirit of CPython's own Pool tests.
@Suite(.serialized)
struct PoolTests {
    init() { TestEnvironment.useTestWorker() }

    /// The pids of a pool's live workers, as the pool reports them.
    private func workerPIDs(_ pool: Pool<EchoWorker>) -> [Int32] {
        pool.status().workers.compactMap(\.pid)
    }

    @Test func applyReturnsTheValue() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        #expect(try await pool.apply { try await $0.add(20, 22) } == 42)
        let pid = try await pool.apply { try await $0.processID() }
        #expect(workerPIDs(pool).contains(pid))
        #expect(pid != getpid())
        pool.terminate()
        try await pool.join()
    }

    @TaskLocal static var tag: String?

    @Test func aSyncApplyFromAPlainTaskRunsItsWorkInThatTask() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let counters = pool.core.system.counters
        let before = counters.repliesReceivedByCaller.load(ordering: .relaxed)
        // The work sees the caller's task-locals: it runs in the caller's task, not on a
        // runner of the pool's.
        let seen = try await Self.$tag.withValue("caller") {
            try await pool.apply { worker -> String? in
                _ = try await worker.echo("x")
                return Self.tag
            }
        }
        #expect(seen == "caller")
        for i in 0..<30 { #expect(try await pool.apply { try await $0.square(i) } == i * i) }
        // And its calls' replies came back to the caller's thread, at least some of them (a
        // slow one, past the wait's budget, is left to the mailbox's thread).
        #expect(counters.repliesReceivedByCaller.load(ordering: .relaxed) > before)
        // Queued work still sees none of its submitter's task-locals.
        let queued = try await Self.$tag.withValue("submitter") {
            try pool.applyAsync { worker -> String? in
                _ = try await worker.echo("y")
                return Self.tag
            }
        }
        #expect(try await queued.get() == nil)
        pool.close()
        try await pool.join()
    }

    @Test func applyAsyncGivesAFutureResult() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let result = try pool.applyAsync { try await $0.slowEcho("later", milliseconds: 300) }
        #expect(!result.isReady)
        #expect(!result.isSuccessful)
        #expect(try await result.get() == "later")
        #expect(result.isReady)
        #expect(result.isSuccessful)
        await result.wait()
        #expect(try await result.get() == "later")
        pool.close()
        try await pool.join()
    }

    @Test func getWithATimeoutExpiresWhileTheTaskGoesOn() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        let result = try pool.applyAsync { try await $0.slowEcho("done", milliseconds: 1500) }
        let error = await #expect(throws: TroupeError.self) { try await result.get(timeout: .milliseconds(50)) }
        #expect(error?.code == .timeout)
        #expect(await result.wait(timeout: .milliseconds(10)) == false)
        #expect(try await result.get() == "done")
        pool.close()
        try await pool.join()
    }

    @Test func anErrorInTheWorkComesBackStructured() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let result = try pool.applyAsync { try await $0.fail("broken") }
        let error = await #expect(throws: TroupeError.self) { try await result.get() }
        #expect(error?.code == .remote)
        #expect(error?.decodeRemote(as: TestFailure.self)?.message == "broken")
        #expect(result.isReady && !result.isSuccessful)
        // The pool keeps working.
        #expect(try await pool.apply { try await $0.echo("ok") } == "ok")
        pool.close()
        try await pool.join()
    }

    @Test func mapKeepsTheOrderForEveryChunkSize() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let items = Array(0..<37)
        let expected = items.map { $0 * $0 }
        #expect(try await pool.map(items) { try await $0.square($1) } == expected)
        for chunk in [1, 2, 5, 36, 37, 38, 100] {
            #expect(try await pool.map(items, chunksize: chunk) { try await $0.square($1) } == expected, "chunksize \(chunk)")
        }
        #expect(try await pool.map([Int]()) { try await $0.square($1) } == [])
        #expect(try await pool.map([9]) { try await $0.square($1) } == [81])
        #expect(try await pool.mapAsync(items, chunksize: 4) { try await $0.square($1) }.get() == expected)
        #expect(try await pool.mapChunks(items) { try await $0.squares($1) } == expected)
        #expect(try await pool.mapChunks(items, chunksize: 1) { try await $0.squares($1) } == expected)
        #expect(try await pool.mapChunks([Int]()) { try await $0.squares($1) } == [])
        let error = await #expect(throws: TroupeError.self) { try await pool.map(items, chunksize: 0) { try await $0.square($1) } }
        #expect(error?.code == .invalidArgument)
        pool.close()
        try await pool.join()
    }

    @Test func mapFailsWithTheWorkersError() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let error = await #expect(throws: TroupeError.self) {
            try await pool.map(0..<20, chunksize: 3) { worker, item -> Int in
                if item == 7 { try await worker.fail("item 7") }
                return try await worker.square(item)
            }
        }
        #expect(error?.decodeRemote(as: TestFailure.self)?.message == "item 7")
        pool.close()
        try await pool.join()
    }

    @Test func starmapSpreadsTheTuples() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let pairs = [(1, 2), (3, 4), (5, 6)]
        #expect(try await pool.starmap(pairs) { try await $0.add($1, $2) } == [3, 7, 11])
        pool.close()
        try await pool.join()
    }

    @Test func imapStreamsInOrder() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        for chunk in [1, 3, 50] {
            var seen: [Int] = []
            for try await value in try pool.imap(0..<25, chunksize: chunk, { try await $0.square($1) }) {
                seen.append(value)
            }
            #expect(seen == (0..<25).map { $0 * $0 })
        }
        var none: [Int] = []
        for try await value in try pool.imap([Int](), { try await $0.square($1) }) { none.append(value) }
        #expect(none.isEmpty)
        pool.close()
        try await pool.join()
    }

    @Test func imapYieldsTheFirstResultBeforeTheLastIsDone() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let slowLast = try pool.imap([1, 4000], { worker, wait in
            try await worker.slowEcho("\(wait)", milliseconds: wait)
        })
        var iterator = slowLast.makeAsyncIterator()
        #expect(try await iterator.next() == "1")
        // The second one is still running: the first came out on its own.
        #expect(await eventually { pool.status().running == 1 })
        #expect(try await iterator.next() == "4000")
        #expect(try await iterator.next() == nil)
        pool.close()
        try await pool.join()
    }

    @Test func imapUnorderedYieldsAsTheyFinish() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        var seen: [String] = []
        for try await value in try pool.imapUnordered([2000, 1], { worker, wait in
            try await worker.slowEcho("\(wait)", milliseconds: wait)
        }) {
            seen.append(value)
        }
        #expect(seen == ["1", "2000"])
        pool.close()
        try await pool.join()
    }

    @Test func imapRaisesAtTheFailingItemAndGoesOn() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        var iterator = try pool.imap(0..<3, { worker, item -> Int in
            if item == 1 { try await worker.fail("one") }
            return item
        }).makeAsyncIterator()
        #expect(try await iterator.next() == 0)
        await #expect(throws: TroupeError.self) { _ = try await iterator.next() }
        #expect(try await iterator.next() == 2)
        pool.close()
        try await pool.join()
    }

    @Test func closeLetsQueuedWorkFinishThenJoinWaitsForTheExits() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let pids = workerPIDs(pool)
        let results = try (0..<6).map { index in
            try pool.applyAsync { try await $0.slowEcho("\(index)", milliseconds: 100) }
        }
        pool.close()
        try await pool.join()
        for (index, result) in results.enumerated() {
            #expect(try await result.get() == "\(index)")
        }
        #expect(pids.count == 2)
        for pid in pids { #expect(!ProcessTable.isAlive(pid)) }
    }

    @Test func submittingAfterCloseFails() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        pool.close()
        let error = #expect(throws: TroupeError.self) { try pool.applyAsync { try await $0.echo("late") } }
        #expect(error?.code == .closed)
        #expect(error?.message.contains("close()") == true)
        await #expect(throws: TroupeError.self) { try await pool.map([1]) { try await $0.square($1) } }
        try await pool.join()
    }

    @Test func joinBeforeCloseIsAnError() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        let error = await #expect(throws: TroupeError.self) { try await pool.join() }
        #expect(error?.code == .invalidState)
        pool.terminate()
        try await pool.join()
    }

    @Test func terminateFailsQueuedAndRunningWorkAndLeavesNoProcess() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let pids = workerPIDs(pool)
        let running = try (0..<2).map { _ in try pool.applyAsync { try await $0.sleep(milliseconds: 60_000) } }
        let queued = try (0..<5).map { _ in try pool.applyAsync { try await $0.echo("never") } }
        #expect(await eventually { pool.status().running == 2 })
        pool.terminate()
        try await pool.join()
        for result in running {
            let error = await #expect(throws: TroupeError.self) { _ = try await result.get() }
            #expect(error?.code == .terminated)
        }
        for result in queued {
            let error = await #expect(throws: TroupeError.self) { _ = try await result.get() }
            #expect(error?.code == .terminated)
        }
        for pid in pids { #expect(!ProcessTable.isAlive(pid)) }
        let late = #expect(throws: TroupeError.self) { try pool.applyAsync { try await $0.echo("x") } }
        #expect(late?.code == .closed)
    }

    @Test func theInitializerRunsOnceInEachWorker() async throws {
        let initialized = Mutex<[Int32]>([])
        let pool = try await Pool<EchoWorker>(processes: 2) { worker in
            try await worker.initialize("ready")
            let pid = try await worker.processID()
            initialized.withLock { $0.append(pid) }
        }
        #expect(Set(initialized.withLock { $0 }) == Set(workerPIDs(pool)))
        let tags = try await pool.map(0..<8, chunksize: 1) { worker, _ in try await worker.initializedTag() }
        #expect(tags.allSatisfy { $0 == "ready" })
        pool.close()
        try await pool.join()
    }

    @Test func maxTasksPerChildReplacesWorkersAndLosesNoTask() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2, maxTasksPerChild: 3)
        let firstPIDs = Set(workerPIDs(pool))
        let pids = try await pool.map(0..<20, chunksize: 1) { worker, _ in try await worker.processID() }
        #expect(pids.count == 20)
        let counts = Dictionary(grouping: pids, by: { $0 }).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 <= 3 })
        #expect(Set(pids).count >= 7)
        #expect(!Set(pids).isSubset(of: firstPIDs))
        pool.close()
        try await pool.join()
        for pid in Set(pids) { #expect(!ProcessTable.isAlive(pid)) }
    }

    @Test func theScopedFormClosesAndJoins() async throws {
        let (value, pids) = try await withPool(of: EchoWorker.self, processes: 2) { pool in
            (try await pool.apply { try await $0.echo("scoped") }, workerPIDs(pool))
        }
        #expect(value == "scoped")
        for pid in pids { #expect(!ProcessTable.isAlive(pid)) }
    }

    @Test func theScopedFormTerminatesWhenTheBodyThrows() async throws {
        let pids = Mutex<[Int32]>([])
        await #expect(throws: TestFailure.self) {
            try await withPool(of: EchoWorker.self, processes: 2) { pool in
                pids.withLock { $0 = workerPIDs(pool) }
                throw TestFailure(message: "body failed")
            }
        }
        #expect(pids.withLock { $0 }.count == 2)
        for pid in pids.withLock({ $0 }) { #expect(!ProcessTable.isAlive(pid)) }
    }

    @Test func aPoolDroppedWithoutJoinLeavesNoProcess() async throws {
        var pids: [Int32] = []
        do {
            let pool = try await Pool<EchoWorker>(processes: 2)
            pids = workerPIDs(pool)
            #expect(try await pool.apply { try await $0.echo("x") } == "x")
        }
        #expect(pids.count == 2)
        #expect(await eventually { pids.allSatisfy { !ProcessTable.isAlive($0) } })
    }

    @Test func cancellingAResultStopsItsWork() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        let running = try pool.applyAsync { try await $0.sleep(milliseconds: 60_000) }
        let queued = try pool.applyAsync { try await $0.echo("queued") }
        #expect(await eventually { pool.status().running == 1 })
        queued.cancel()
        running.cancel()
        let queuedError = await #expect(throws: TroupeError.self) { _ = try await queued.get() }
        #expect(queuedError?.code == .cancelled)
        await #expect(throws: (any Error).self) { _ = try await running.get() }
        // The worker is free again.
        #expect(try await pool.apply { try await $0.echo("next") } == "next")
        pool.close()
        try await pool.join()
    }

    @Test func aSlowTaskDoesNotHoldBackWorkAnotherWorkerCanTake() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let slow = try pool.applyAsync { try await $0.slowEcho("slow", milliseconds: 5000) }
        #expect(await eventually { pool.status().running == 1 })
        let quick = try (0..<5).map { index in try pool.applyAsync { try await $0.echo("\(index)") } }
        for (index, result) in quick.enumerated() {
            #expect(try await result.get() == "\(index)")
        }
        #expect(!slow.isReady)
        pool.terminate()
        try await pool.join()
    }

    @Test func callbacksRunWithoutHoldingBackOtherResults() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let first = try pool.applyAsync { try await $0.echo("first") }
        let blocked = Mutex(true)
        first.whenReady { _ in
            // A callback that never finishes quickly must not stall anything.
            while blocked.withLock({ $0 }) { usleep(1000) }
        }
        let second = try pool.applyAsync { try await $0.echo("second") }
        #expect(try await second.get() == "second")
        // As in Python, a result's own waiters wake only after its callbacks ran.
        #expect(await first.wait(timeout: .milliseconds(100)) == false)
        blocked.withLock { $0 = false }
        #expect(try await first.get() == "first")
        pool.close()
        try await pool.join()
    }

    @Test func callbacksRunBeforeGetReturns() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        for index in 0..<20 {
            let result = try pool.applyAsync { try await $0.echo("\(index)") }
            let seen = Mutex<[String]>([])
            result.whenReady { outcome in seen.withLock { $0.append((try? outcome.get()) ?? "failed") } }
            result.whenReady { _ in seen.withLock { $0.append("second callback") } }
            #expect(try await result.get() == "\(index)")
            #expect(seen.withLock { $0 } == ["\(index)", "second callback"])
        }
        pool.close()
        try await pool.join()
    }
}
