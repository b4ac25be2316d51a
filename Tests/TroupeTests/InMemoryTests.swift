import Synchronization
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTesting
import TroupeTestSupport

/// The pool, the actor system's dispatch and the state store over the in-memory transport:
/// no process, no socket, so these run in parallel with everything else. The same
/// behaviours are checked with real processes in the other suites.
struct InMemoryTests {
    @Test func aPoolAppliesMapsAndReportsErrorsInOneProcess() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let pool = try await Pool<EchoWorker>(processes: 2, system: cluster.system)
        #expect(try await pool.apply { try await $0.echo("hi") } == "hi")
        #expect(try await pool.map(0..<300) { try await $0.square($1) } == (0..<300).map { $0 * $0 })
        let error = await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.fail("no") } }
        #expect(error?.code == .remote)
        #expect(error?.decodeRemote(as: TestFailure.self) == TestFailure(message: "no"))
        #expect(cluster.livePIDs.count == 2)
        pool.close()
        try await pool.join()
        #expect(await eventually { cluster.livePIDs.isEmpty })
    }

    @Test func aKilledWorkerFailsItsTaskAndTheTasksBehindItRunOnceElsewhere() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let manager = try Manager(system: cluster.system)
        let runs: SharedDictionary<Int, Int> = try await manager.dictionary()
        var options = PoolOptions()
        options.pipelineAgeLimit = .seconds(600)
        let pool = try await Pool<EchoWorker>(processes: 2, options: options, system: cluster.system)
        let slow = try pool.applyAsync { try await $0.sleep(milliseconds: 60_000) }
        #expect(await eventually { pool.status().workers.contains { $0.running == 1 } })
        let position = try #require(pool.status().workers.first { $0.running == 1 }?.position)
        let victim = try #require(pool.status().workers[position].pid)
        let quick = try (0..<30).map { index in try pool.applyAsync { try await $0.recordRun(index, in: runs) } }
        #expect(await eventually { pool.status().workers[position].prefetched > 0 })
        cluster.kill(pid: victim)
        let killed = await #expect(throws: TroupeError.self) { try await slow.get() }
        #expect(killed?.code == .workerCrashed)
        for result in quick { _ = try await result.get() }
        let counts = try await runs.snapshot()
        #expect(counts.count == 30 && counts.values.allSatisfy { $0 == 1 }, "\(counts)")
        #expect(await eventually { pool.status().workers[position].pid != nil && pool.status().workers[position].pid != victim })
        pool.close()
        try await pool.join()
    }

    @Test func callsAreDispatchedWithTheirArgumentsAndResults() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let pool = try await Pool<EchoWorker>(processes: 1, system: cluster.system)
        let parcel = Parcel(name: "box", weights: [1.5, 2], tags: ["a": 1], note: nil)
        #expect(try await pool.apply { try await $0.parcel(parcel) }.name == "BOX")
        #expect(try await pool.apply { try await $0.generic(7) } == [7, 7])
        #expect(try await pool.apply { try await $0.add(2, 3) } == 5)
        pool.terminate()
        try await pool.join()
    }

    @Test func stateOperationsFromManyWorkersAreAtomic() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let manager = try Manager(system: cluster.system)
        let counts: SharedDictionary<String, Int> = try await manager.dictionary()
        let pool = try await Pool<EchoWorker>(processes: 2, system: cluster.system)
        // Each task adds one to every key of a batch, in one atomic step.
        _ = try await pool.map(0..<40, chunksize: 1) { worker, _ in
            try await worker.addToEach(["a", "b", "c"], in: counts)
        }
        #expect(try await counts.snapshot() == ["a": 40, "b": 40, "c": 40])
        pool.close()
        try await pool.join()
    }

    @Test func aBatchedAddIsSeenWholeOrNotAtAll() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let manager = try Manager(system: cluster.system)
        let counts: SharedDictionary<String, Int> = try await manager.dictionary()
        let pool = try await Pool<EchoWorker>(processes: 2, system: cluster.system)
        let adding = try pool.mapAsync(0..<200, chunksize: 1) { worker, _ in
            try await worker.addToEach(["a", "b"], in: counts)
        }
        // However the snapshots and the batches interleave, "a" and "b" move together.
        while !adding.isReady {
            let seen = try await counts.snapshot()
            #expect(seen["a"] == seen["b"], "a batch was seen half done: \(seen)")
        }
        _ = try await adding.get()
        #expect(try await counts.snapshot() == ["a": 200, "b": 200])
        // One bad value and nothing of the batch is stored.
        let mixed: SharedDictionary<String, Int> = try await manager.dictionary(name: "mixed")
        try await mixed.set("a", to: 1)
        let text: SharedDictionary<String, String> = try await manager.dictionary(name: "mixed")
        try await text.set("b", to: "text")
        await #expect(throws: TroupeError.self) { try await mixed.increment(["a": 1, "b": 1]) }
        #expect(try await mixed.get("a") == 1)
        pool.close()
        try await pool.join()
    }

    @Test func eachNewProcessRunsItsOwnMaxTasksPerChild() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let pool = try await Pool<EchoWorker>(processes: 1, maxTasksPerChild: 5, system: cluster.system)
        var tasksPerProcess: [String: Int] = [:]
        var order: [String] = []
        for _ in 0..<20 {
            let pid = try await pool.apply { try await $0.nodeName() }
            if tasksPerProcess[pid] == nil { order.append(pid) }
            tasksPerProcess[pid, default: 0] += 1
        }
        #expect(order.map { tasksPerProcess[$0]! } == [5, 5, 5, 5])
        pool.close()
        try await pool.join()
    }

    final class Tracked: Sendable {}

    @Test func aTaskReleasesItsWorkWhenItEnds() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let pool = try await Pool<EchoWorker>(processes: 2, system: cluster.system)
        weak var tracked: Tracked?
        do {
            let object = Tracked()
            tracked = object
            _ = try await pool.map(0..<10) { worker, item in
                withExtendedLifetime(object) {}
                return try await worker.square(item)
            }
            let result = try pool.applyAsync { worker in
                withExtendedLifetime(object) {}
                return try await worker.echo("x")
            }
            _ = try await result.get()
        }
        // What the work captured goes with it, not a thousand tasks later.
        #expect(await eventually { tracked == nil })
        pool.close()
        try await pool.join()
        #expect(tracked == nil)
    }

    @Test func aClosedAndJoinedPoolSaysClosedAndRefusesWorkAsClosed() async throws {
        let cluster = try InMemoryCluster(workers: [EchoWorker.self])
        let (escaped, answer) = try await withPool(of: EchoWorker.self, processes: 1, system: cluster.system) { pool in
            (pool, try await pool.apply { try await $0.echo("in") })
        }
        #expect(answer == "in")
        #expect(escaped.status().phase == .closed)
        let late = #expect(throws: TroupeError.self) { try escaped.applyAsync { try await $0.echo("late") } }
        #expect(late?.code == .closed)
        #expect(late?.message.contains("closed") == true, "\(String(describing: late))")

        let terminated = try await Pool<EchoWorker>(processes: 1, system: cluster.system)
        terminated.terminate()
        try await terminated.join()
        #expect(terminated.status().phase == .terminated)
    }
}
