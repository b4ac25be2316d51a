import TroupePlatform
import Synchronization
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport

/// Workers hold several tasks at once (prefetch), and losing one costs no more than Python's
/// one-task-at-a-time pool: the task a worker was running fails, the ones behind it move.
@Suite(.serialized)
struct PrefetchTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func tasksQueuedBehindAKilledTaskRunExactlyOnceOnAnotherWorker() async throws {
        var options = PoolOptions()
        // Keep the tasks behind the slow one where they are: this test is about the death.
        options.pipelineAgeLimit = .seconds(600)
        let manager = try Manager()
        let runs: SharedDictionary<Int, Int> = try await manager.dictionary()
        let pool = try await Pool<EchoWorker>(processes: 2, options: options)
        let slow = try pool.applyAsync { try await $0.sleep(milliseconds: 60_000) }
        #expect(await eventually { pool.status().workers.contains { $0.running == 1 } })
        let victimPosition = try #require(pool.status().workers.first { $0.running == 1 }?.position)
        let victim = try #require(pool.status().workers[victimPosition].pid)
        let quick = try (0..<40).map { index in try pool.applyAsync { try await $0.recordRun(index, in: runs) } }
        // Some of them wait in the sleeping worker, behind its task.
        #expect(await eventually { pool.status().workers[victimPosition].prefetched > 0 })
        let heldBehind = pool.status().workers[victimPosition].prefetched
        kill(victim, SIGKILL)

        let killed = await #expect(throws: TroupeError.self) { try await slow.get() }
        #expect(killed?.code == .workerCrashed)
        for result in quick {
            let pid = try await result.get()
            #expect(pid != victim, "a task ran in the killed worker")
        }
        let counts = try await runs.snapshot()
        #expect(counts.count == 40)
        #expect(counts.values.allSatisfy { $0 == 1 }, "every task ran exactly once: \(counts)")
        #expect(heldBehind > 0)
        #expect(pool.status().workers.map(\.restarts).reduce(0, +) == 1)
        pool.close()
        try await pool.join()
    }

    @Test func theTasksBehindASlowTaskAreTakenBackForTheOtherWorker() async throws {
        let manager = try Manager()
        let runs: SharedDictionary<Int, Int> = try await manager.dictionary()
        let pool = try await Pool<EchoWorker>(processes: 2)
        let slow = try pool.applyAsync { try await $0.slowEcho("slow", milliseconds: 20_000) }
        #expect(await eventually { pool.status().workers.contains { $0.running == 1 } })
        let slowPID = try #require(pool.status().workers.first { $0.running == 1 }?.pid)
        let quick = try (0..<40).map { index in try pool.applyAsync { try await $0.recordRun(index, in: runs) } }
        for result in quick {
            #expect(try await result.get() != slowPID, "a task waited for the slow one and ran after it")
        }
        // All of them finished while the slow one still runs.
        #expect(!slow.isReady)
        let counts = try await runs.snapshot()
        #expect(counts.count == 40 && counts.values.allSatisfy { $0 == 1 })
        pool.terminate()
        try await pool.join()
    }

    @Test func batchedRepliesKeepTheirOrderAndTheirErrors() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let items = Array(0..<600)
        let results = try pool.imap(items, chunksize: 50) { worker, item -> Int in
            if item % 7 == 3 { try await worker.fail("item \(item)") }
            return try await worker.square(item)
        }
        var index = 0
        var iterator = results.makeAsyncIterator()
        while true {
            do {
                guard let value = try await iterator.next() else { break }
                #expect(index % 7 != 3, "item \(index) should have failed")
                #expect(value == index * index)
            } catch let error as TroupeError {
                #expect(index % 7 == 3, "item \(index) failed: \(error)")
                #expect(error.decodeRemote(as: TestFailure.self)?.message == "item \(index)")
            }
            index += 1
        }
        #expect(index == items.count)
        pool.close()
        try await pool.join()
    }
}
