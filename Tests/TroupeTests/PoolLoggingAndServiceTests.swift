import Logging
import ServiceLifecycle
import Synchronization
import Testing
@_spi(Testing) @testable import Troupe
import TroupeServiceLifecycle
import TroupeTestSupport

/// A log handler that keeps what it is given, for a test to read.
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    let records = Mutex<[Record]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        event.metadata?.forEach { merged[$0.key] = $0.value }
        let record = Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
        records.withLock { $0.append(record) }
    }
}

/// A pool logs where it is told, at the levels swift-log intends; `PoolService` closes its
/// pool on graceful shutdown. Real worker processes.
@Suite(.serialized)
struct PoolLoggingAndServiceTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func aPoolLogsAWorkersDeathToItsOwnLoggerAtInfo() async throws {
        let handler = RecordingLogHandler()
        let logger = Logger(label: "app.pool") { _ in handler }
        let pool = try await Pool<EchoWorker>(processes: 1, logger: logger)
        await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.crash() } }
        #expect(try await pool.apply { try await $0.square(3) } == 9)
        pool.close()
        try await pool.join()
        let records = handler.records.withLock { $0 }
        let death = try #require(records.first { $0.message == "worker exited unexpectedly" }, "\(records.map(\.message))")
        // A crashed task is the task's failure, reported as its result: not a warning.
        #expect(death.level <= .info)
        #expect(death.metadata["troupe.pool"] != nil)
        #expect(records.allSatisfy { $0.level <= .info }, "\(records.map { "\($0.level) \($0.message)" })")
    }

    @Test func aPoolServiceClosesItsPoolOnGracefulShutdown() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        let queued = try (0..<5).map { index in try pool.applyAsync { try await $0.square(index) } }
        let group = ServiceGroup(services: [PoolService(pool)], logger: Logger(label: "test.group"))
        let running = Task { try await group.run() }
        await group.triggerGracefulShutdown()
        try await running.value
        // Queued work finished, then the pool closed and its workers left.
        var values: [Int] = []
        for result in queued { values.append(try await result.get()) }
        #expect(values == [0, 1, 4, 9, 16])
        #expect(pool.status().phase == .closed)
    }
}
