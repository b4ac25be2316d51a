import TroupePlatform
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport

/// What a supervisor's status reports for a dashboard: failures by code, activity, RSS,
/// containers, restarts; with real worker processes.
@Suite(.serialized)
struct BrokerStatusFieldsTests {
    init() { TestEnvironment.useTestWorker() }

    private func startWorker(supervisor: String) async throws -> ChildProcess {
        let launch = RemoteWorkerEnvironment(endpoint: supervisor, serverKeyFile: nil, keyFile: nil, agentPID: getpid())
        return try await ProcessSpawner.shared.spawn(
            path: TestEnvironment.path(ofSibling: "TroupeTestWorker"), arguments: [],
            environment: launch.environment(inheriting: currentEnvironment()))
    }

    @Test func resultsFailuresMemoryAndContainersAreReported() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let workers = [try await startWorker(supervisor: server.endpoint), try await startWorker(supervisor: server.endpoint)]
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await eventually { await server.status().workers.count == 2 })

        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)
        for index in 0..<10 { #expect(try await pool.apply { try await $0.echo("\(index)") } == "\(index)") }
        for _ in 0..<2 { await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.fail("on purpose") } } }
        let manager = try await Manager.connecting(to: server.endpoint, security: .insecure)
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary(["a": 1, "b": 2, "c": 3])
        try await dictionary.set("d", to: 4)
        pool.close()
        try await pool.join()

        let status = await server.status()
        #expect(status.completed == 12)
        #expect(status.failed == ["remote": 2])
        let activity = try #require(status.activity)
        #expect(activity.map(\.completed).reduce(0, +) == 12)
        #expect(activity.map { $0.failed["remote"] ?? 0 }.reduce(0, +) == 2)
        #expect((status.tasksPerSecond ?? 0) > 0)
        #expect(status.containers?.contains(BrokerStatus.Container(name: dictionary.reference.name, kind: "dict", count: 4)) == true,
                "\(status.containers ?? [])")
        // Both workers run on this host: their memory is read from /proc.
        for worker in status.workers {
            #expect((worker.residentBytes ?? 0) > 1 << 20, "\(worker)")
            #expect(worker.restarts == 0 && worker.lastExit == nil)
        }

        server.stop(now: true)
        await server.wait()
        // Asked after it stopped, it answers its last status at once.
        let after = await server.status()
        #expect(after.phase == "stopped" && after.completed == 12)
    }

    @Test func aWorkerThatTakesALostOnesPlaceShowsOneRestartAndTheExit() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure,
                                                                   heartbeatInterval: .milliseconds(100), liveness: 5))
        let first = try await startWorker(supervisor: server.endpoint)
        defer { first.send(signal: SIGKILL) }
        #expect(await eventually { await server.status().workers.count == 1 })
        first.send(signal: SIGKILL)
        // As a node agent does: a new process at once, before the old one is declared lost.
        let second = try await startWorker(supervisor: server.endpoint)
        defer { second.send(signal: SIGKILL) }
        #expect(await eventually { await server.status().workersLost == 1 })
        let status = await server.status()
        let replacement = try #require(status.workers.first { $0.pid == Int64(second.pid) }, "\(status.workers)")
        #expect(replacement.restarts == 1)
        #expect(replacement.lastExit == "pid \(first.pid) lost (missed 5 heartbeats)")
        #expect(status.workers.count == 1)
        server.stop(now: true)
        await server.wait()
    }
}
