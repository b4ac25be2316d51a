#if canImport(Glibc)
import Glibc
#endif
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport

/// A standalone supervisor in this process, remote workers (the test worker program started
/// as a node agent would), a pool and shared state connected to it.
@Suite(.serialized)
struct ClusterTests {
    init() { TestEnvironment.useTestWorker() }

    /// Starts `count` worker processes of the test worker program for the supervisor.
    private func startWorkers(_ count: Int, supervisor: String) async throws -> [ChildProcess] {
        let launch = RemoteWorkerLaunch(endpoint: supervisor, serverKeyFile: nil, keyFile: nil, agentPID: getpid())
        var children: [ChildProcess] = []
        for _ in 0..<count {
            children.append(try await ProcessSpawner.shared.spawn(
                path: TestEnvironment.path(ofSibling: "TroupeTestWorker"), arguments: [],
                environment: launch.environment(inheriting: currentEnvironment())))
        }
        return children
    }

    private func waitForWorkers(_ server: SupervisorServer, count: Int) async -> Bool {
        await eventually { await server.status().workers.count == count }
    }

    @Test func aPoolConnectedToASupervisorRunsWorkOnItsWorkers() async throws {
        let server = try SupervisorServer(SupervisorConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let workers = try await startWorkers(2, supervisor: server.endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await waitForWorkers(server, count: 2))

        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)
        let pids = try await pool.map(0..<40) { worker, _ in try await worker.processID() }
        #expect(Set(pids).isSubset(of: Set(workers.map(\.pid))))
        #expect(try await pool.apply { try await $0.add(2, 3) } == 5)
        let failure = await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.fail("remote") } }
        #expect(failure?.decodeRemote(as: TestFailure.self)?.message == "remote")
        pool.close()
        try await pool.join()

        let status = await server.status()
        #expect(status.completed >= 42)
        #expect(status.workers.allSatisfy { $0.services == [String(reflecting: EchoWorker.self)] })
        server.stop(now: true)
        await server.wait()
    }

    @Test func sharedStateHeldByTheSupervisorIsReachedFromEveryProcess() async throws {
        let server = try SupervisorServer(SupervisorConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let workers = try await startWorkers(1, supervisor: server.endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await waitForWorkers(server, count: 1))

        let manager = try await Manager.connecting(to: server.endpoint, security: .insecure)
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary(["seed": 1])
        try await dictionary.set("k", 41)
        #expect(try await dictionary.increment("k", by: 1) == 42)
        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)
        try await pool.apply { try await $0.increment(dictionary, key: "k", times: 10, concurrency: 4) }
        #expect(try await dictionary.get("k") == 52)
        #expect(try await pool.apply { try await $0.read(dictionary, key: "seed") } == 1)
        pool.close()
        try await pool.join()
        server.stop(now: true)
        await server.wait()
    }

    @Test func aLostWorkerFailsItsRequestAndItsRetryableWorkRunsElsewhere() async throws {
        let server = try SupervisorServer(SupervisorConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure,
                                                                   heartbeatInterval: .milliseconds(100), liveness: 3))
        let workers = try await startWorkers(2, supervisor: server.endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await waitForWorkers(server, count: 2))
        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)

        // Stop (not kill) the workers mid-task: they hold their connections but go silent.
        let pids = workers.map(\.pid)
        let stuck = try pool.applyAsync { worker -> Int32 in
            for pid in pids { kill(pid, SIGSTOP) }
            return try await worker.processID()
        }
        let error = await #expect(throws: TroupeError.self) { _ = try await stuck.get() }
        #expect(error?.code == .workerLost)
        #expect(await eventually { await server.status().workersLost >= 2 })
        // Back from the dead, they join again, and retryable work runs on them.
        for pid in pids { kill(pid, SIGCONT) }
        #expect(await waitForWorkers(server, count: 2))
        #expect(try await pool.apply(retryable: true) { try await $0.echo("elsewhere") } == "elsewhere")
        pool.close()
        try await pool.join()
        server.stop(now: true)
        await server.wait()
    }
}
