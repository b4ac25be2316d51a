import MetricsTestKit
import Testing
@testable import Troupe
import TroupeTestSupport

/// The metrics facade, with a test factory of its own (the process's `MetricsSystem` is
/// left alone).
struct TroupeMetricsTests {
    @Test func eachEventMovesItsMetric() throws {
        let factory = TestMetrics()
        let metrics = TroupeMetrics(factory: factory)
        metrics.taskSubmitted()
        metrics.taskSubmitted()
        metrics.taskCompleted(after: .milliseconds(3))
        metrics.taskFailed(code: "workerLost", after: .milliseconds(7))
        metrics.taskFailed(code: "closed", after: nil)
        metrics.workerLost()
        metrics.workerRestarted()
        metrics.messageRejected(code: "truncated")
        metrics.handshakeRefused(reason: "keyNotAllowed")

        #expect(try factory.expectCounter("troupe_tasks_submitted_total").totalValue == 2)
        #expect(try factory.expectCounter("troupe_tasks_completed_total").totalValue == 1)
        #expect(try factory.expectCounter("troupe_tasks_failed_total", [("code", "workerLost")]).totalValue == 1)
        #expect(try factory.expectCounter("troupe_tasks_failed_total", [("code", "closed")]).totalValue == 1)
        // Work refused before it ran has no latency.
        #expect(try factory.expectTimer("troupe_task_duration_seconds").values == [3_000_000, 7_000_000])
        #expect(try factory.expectCounter("troupe_workers_lost_total").totalValue == 1)
        #expect(try factory.expectCounter("troupe_worker_restarts_total").totalValue == 1)
        #expect(try factory.expectCounter("troupe_messages_rejected_total", [("code", "truncated")]).totalValue == 1)
        #expect(try factory.expectCounter("troupe_handshakes_refused_total", [("reason", "keyNotAllowed")]).totalValue == 1)
    }

    @Test func stateOperationsAreCountedByNameAndUnknownOnesAsOther() throws {
        let factory = TestMetrics()
        let metrics = TroupeMetrics(factory: factory)
        for _ in 0..<3 { metrics.stateOperation("increment") }
        metrics.stateOperation("get")
        metrics.stateOperation("no such operation")
        metrics.stateOperation("another invented one")
        #expect(try factory.expectCounter("troupe_state_operations_total", [("operation", "increment")]).totalValue == 3)
        #expect(try factory.expectCounter("troupe_state_operations_total", [("operation", "get")]).totalValue == 1)
        #expect(try factory.expectCounter("troupe_state_operations_total", [("operation", "other")]).totalValue == 2)
        #expect(throws: (any Error).self) { try factory.expectCounter("troupe_state_operations_total", [("operation", "no such operation")]) }
    }

    @Test func labelValuesFromPeersStayFew() throws {
        let factory = TestMetrics()
        let metrics = TroupeMetrics(factory: factory)
        for index in 0..<40 { metrics.taskFailed(code: "invented\(index)", after: nil) }
        let failed = factory.counters.filter { $0.label == "troupe_tasks_failed_total" }
        #expect(failed.count == 33, "32 codes and other")
        #expect(try factory.expectCounter("troupe_tasks_failed_total", [("code", "other")]).totalValue == 8)
        // A code seen before the limit keeps its own counter.
        metrics.taskFailed(code: "invented0", after: nil)
        #expect(try factory.expectCounter("troupe_tasks_failed_total", [("code", "invented0")]).totalValue == 2)
    }

    @Test func levelsOfTwoSourcesAddUp() throws {
        let factory = TestMetrics()
        let metrics = TroupeMetrics(factory: factory)
        var supervisor = TroupeMetrics.Level(metrics.tasksQueued)
        var pool = TroupeMetrics.Level(metrics.tasksQueued)
        supervisor.set(5)
        pool.set(3)
        supervisor.set(2)
        let meter = try factory.expectMeter("troupe_tasks_queued")
        #expect(meter.lastValue == 5)
        pool.set(0)
        supervisor.set(0)
        #expect(meter.lastValue == 0)
    }
}

/// A local pool records its tasks, latency, levels and restarts (real worker processes).
@Suite(.serialized)
struct PoolMetricsTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func aLocalPoolRecordsItsTasksAndWorkers() async throws {
        let factory = TestMetrics()
        let metrics = TroupeMetrics(factory: factory)
        let pool = try await TroupeMetrics.$override.withValue(metrics) {
            try await Pool<EchoWorker>(processes: 2)
        }
        #expect(try factory.expectMeter("troupe_workers_alive").lastValue == 2)
        let squares = try await pool.map(Array(0..<20), chunksize: 1) { try await $0.square($1) }
        #expect(squares.count == 20)
        await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.fail("no") } }
        let before = Set(pool.status().workers.compactMap(\.pid))
        await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.crash() } }
        #expect(await eventually {
            let now = pool.status().workers.compactMap(\.pid)
            return now.count == 2 && Set(now) != before
        })
        pool.close()
        try await pool.join()

        #expect(try factory.expectCounter("troupe_tasks_submitted_total").totalValue == 22)
        #expect(try factory.expectCounter("troupe_tasks_completed_total").totalValue == 20)
        #expect(try factory.expectCounter("troupe_tasks_failed_total", [("code", "remote")]).totalValue == 1)
        #expect(try factory.expectCounter("troupe_tasks_failed_total", [("code", "workerCrashed")]).totalValue == 1)
        #expect(try factory.expectTimer("troupe_task_duration_seconds").values.count == 22)
        #expect(try factory.expectCounter("troupe_worker_restarts_total").totalValue == 1)
        // A finished pool leaves nothing in the levels.
        #expect(try factory.expectMeter("troupe_tasks_queued").lastValue ?? 0 == 0)
        #expect(try factory.expectMeter("troupe_tasks_running").lastValue ?? 0 == 0)
        #expect(try factory.expectMeter("troupe_workers_alive").lastValue == 0)
    }
}
