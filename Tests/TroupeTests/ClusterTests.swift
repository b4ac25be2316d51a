import TroupePlatform
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport
import TroupeWire
import ZeroMQ

/// A standalone supervisor in this process, remote workers (the test worker program started
/// as a node agent would), a pool and shared state connected to it.
@Suite(.serialized)
struct ClusterTests {
    init() { TestEnvironment.useTestWorker() }

    /// Starts `count` worker processes of the test worker program for the supervisor.
    private func startWorkers(_ count: Int, supervisor: String) async throws -> [ChildProcess] {
        let launch = RemoteWorkerEnvironment(endpoint: supervisor, serverKeyFile: nil, keyFile: nil, agentPID: getpid())
        var children: [ChildProcess] = []
        for _ in 0..<count {
            children.append(try await ProcessSpawner.shared.spawn(
                path: TestEnvironment.path(ofSibling: "TroupeTestWorker"), arguments: [],
                environment: launch.environment(inheriting: currentEnvironment())))
        }
        return children
    }

    private func waitForWorkers(_ server: BrokerServer, count: Int) async -> Bool {
        await eventually { await server.status().workers.count == count }
    }

    /// Starts `troupe supervisor --insecure` on `endpoint` as a process of its own (so that a
    /// test can kill it), with `environment` added.
    private func startSupervisorProcess(_ endpoint: String, arguments: [String] = ["--insecure"],
                                        environment: [String] = []) async throws -> ChildProcess {
        try await ProcessSpawner.shared.spawn(
            path: TestEnvironment.path(ofSibling: "troupe"), arguments: ["supervisor", "--bind", endpoint] + arguments,
            environment: currentEnvironment().filter { !$0.hasPrefix("TROUPE_") } + environment)
    }

    /// A TCP port on 127.0.0.1 that nothing listens on (the kernel's pick, released).
    private func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether the supervisor at `endpoint` answers a status query from this process.
    private func answers(_ endpoint: String, workers: Int? = nil) async -> Bool {
        guard let client = try? BrokerClient(endpoint: endpoint, security: .insecure),
              let status = try? await client.status(timeout: .seconds(1)) else { return false }
        return workers.map { status.workers.count == $0 } ?? true
    }

    /// This process's link to the supervisor at `endpoint`, as its clients use it.
    private func clientLink(_ endpoint: String) throws -> BrokerLink {
        try TroupeActorSystem.local().connectSupervisor(endpoint, role: .client, curve: nil)
    }

    /// Submits `count` short tasks, waits until a few have finished, then runs `fault`; then
    /// checks that every task ends, that only tasks in flight at the fault failed (at most
    /// `concurrency`, each `workerLost`), and that the rest succeeded.
    private func runThroughFault(endpoint: String, count: Int = 200, concurrency: Int = 4,
                                 _ fault: () async throws -> Void) async throws {
        // One call per lane at a time, so that what is in flight at the fault is bounded by
        // `concurrency` (pipelined lanes would have more) and the rest is submitted during it.
        var options = PoolOptions()
        options.pipelineDepth = 1
        let pool = try await Pool<EchoWorker>(connectingTo: endpoint, security: .insecure, concurrency: concurrency, options: options)
        let results = try (0..<count).map { index in
            try pool.applyAsync { try await $0.slowEcho("\(index)", milliseconds: 20) }
        }
        #expect(await eventually { results.filter(\.isReady).count >= 20 })
        try await fault()
        let ended = await eventually(within: .seconds(90)) { results.allSatisfy(\.isReady) }
        let unfinished = results.filter { !$0.isReady }.count
        #expect(ended, "\(unfinished) of \(count) tasks never ended")
        var failures: [String] = []
        for (index, result) in results.enumerated() where result.isReady {
            do {
                #expect(try await result.get() == "\(index)")
            } catch let error as TroupeError {
                failures.append(error.code.rawValue)
                #expect(error.code == .workerLost, "task \(index): \(error)")
            }
        }
        #expect(failures.count <= concurrency, "\(failures.count) tasks failed, more than the \(concurrency) in flight: \(failures)")
        if ended {
            pool.close()
            try await pool.join()
        } else {
            pool.terminate()
        }
    }

    @Test func aStoppedSupervisorAnswersItsLastStatusAndLetsGoOfItsSockets() async throws {
        weak var released: BrokerServer?
        do {
            let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
            released = server
            server.stop()
            await server.wait()
            // After the loop stopped: the last status, and a second stop that changes nothing.
            #expect(await server.status().workers.isEmpty)
            server.stop(now: true)
        }
        // The loop's thread releases the loop, and with it the server and its ZeroMQ context.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while released != nil && clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(released == nil, "the stopped supervisor is still referenced (its loop keeps it)")
    }

    @Test func queuedWorkEndsWhenTheSupervisorIsKilledAndRestarted() async throws {
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        var supervisor = try await startSupervisorProcess(endpoint)
        defer { supervisor.send(signal: SIGKILL) }
        let workers = try await startWorkers(2, supervisor: endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await eventually { await answers(endpoint, workers: 2) })
        let link = try clientLink(endpoint)

        try await runThroughFault(endpoint: endpoint) {
            supervisor.send(signal: SIGKILL)
            _ = await supervisor.wait(timeout: nil)
            // The client declares it lost before it comes back.
            #expect(await eventually { link.isUnreachable })
            supervisor = try await startSupervisorProcess(endpoint)
        }
        #expect(!link.isUnreachable)
    }

    @Test func aLinkBatchesAgainOnlyOnceTheSupervisorThatAnswersHasAgreed() async throws {
        // A supervisor restarted at the same address may answer the link's old connection
        // (ZeroMQ connects it again by itself) before the link opens a new one. The new
        // supervisor never agreed to BATCH on it: from the moment the link declares the old
        // one lost, it sends one command a message until the one that answers agrees again.
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let first = try BrokerServer(BrokerConfiguration(bind: endpoint, security: .insecure))
        let system = try TroupeActorSystem.local()
        let link = try clientLink(endpoint)
        #expect(await eventually { link.batchesGranted })
        first.stop(now: true)
        await first.wait()
        var bound: BrokerServer?
        #expect(await eventually { bound = try? BrokerServer(BrokerConfiguration(bind: endpoint, security: .insecure)); return bound != nil })
        let second = try #require(bound)
        defer { second.stop(now: true) }

        // Declared lost now, as a tick after the silence would; its own reconnection is not due
        // for 30 s, so the second supervisor answers on the old connection.
        link.tick(now: ContinuousClock.now + .seconds(30), system: system)
        #expect(link.isUnreachable)
        #expect(!link.batchesGranted, "the link still batches for a supervisor it has lost")
        #expect(await eventually { !link.isUnreachable && link.batchesGranted })
        // Several commands at once now travel in one message, which the second supervisor takes.
        for _ in 0..<8 { system.sendCommand(.heartbeat, to: endpoint) }
        // Answered in order on the same connection: by then the heartbeats have been read.
        _ = try await link.ask({ .statusQuery(id: $0) }, system: system, timeout: .seconds(10))
        let rejected = await second.status().rejected
        #expect(rejected.isEmpty, "rejected: \(rejected)")
    }

    @Test func nothingIsLostWhileTheSupervisorIsStopped() async throws {
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let supervisor = try await startSupervisorProcess(endpoint)
        defer { supervisor.send(signal: SIGKILL) }
        let workers = try await startWorkers(2, supervisor: endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await eventually { await answers(endpoint, workers: 2) })
        let link = try clientLink(endpoint)

        try await runThroughFault(endpoint: endpoint) {
            supervisor.send(signal: SIGSTOP)
            // Stopped long enough for the client to declare it lost and reconnect twice.
            let start = link.reconnectAttempts
            #expect(await eventually(within: .seconds(30)) { link.isUnreachable && link.reconnectAttempts >= start + 2 })
            supervisor.send(signal: SIGCONT)
        }
    }

    @Test func workersBackFromALongOutageRegisterOnceEach() async throws {
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        var supervisor = try await startSupervisorProcess(endpoint)
        defer { supervisor.send(signal: SIGKILL) }
        // A node agent whose workers give up on a silent supervisor after 3 s (not 60).
        let agent = try await ProcessSpawner.shared.spawn(
            path: TestEnvironment.path(ofSibling: "troupe"),
            arguments: ["worker", "--connect", endpoint, "--insecure", "--processes", "2", "--",
                        TestEnvironment.path(ofSibling: "TroupeTestWorker")],
            environment: currentEnvironment().filter { !$0.hasPrefix("TROUPE_") } + ["TROUPE_GIVE_UP_MS=3000"])
        defer {
            for child in ProcessTable.children(of: agent.pid) { kill(child, SIGKILL) }
            agent.send(signal: SIGKILL)
        }
        #expect(await eventually(within: .seconds(30)) { await answers(endpoint, workers: 2) })
        let first = Set(ProcessTable.children(of: agent.pid))

        supervisor.send(signal: SIGKILL)
        _ = await supervisor.wait(timeout: nil)
        // Down for longer than the workers' give-up time: they exit, and the agent starts others.
        #expect(await eventually(within: .seconds(60)) {
            let now = Set(ProcessTable.children(of: agent.pid))
            return now.count == 2 && now.isDisjoint(with: first)
        })
        supervisor = try await startSupervisorProcess(endpoint)
        #expect(await eventually(within: .seconds(60)) { await answers(endpoint, workers: 2) })

        let pool = try await Pool<EchoWorker>(connectingTo: endpoint, security: .insecure, concurrency: 4)
        let echoed = try await pool.map(0..<400) { worker, index in try await worker.slowEcho("\(index)", milliseconds: 10) }
        #expect(echoed == (0..<400).map { "\($0)" })
        let client = try BrokerClient(endpoint: endpoint, security: .insecure)
        let status = try await client.status()
        #expect(status.workers.count == 2, "registrations: \(status.workers.map(\.node))")
        #expect(status.workersLost == 0, "\(status.workersLost) registrations were lost with no fault")
        #expect(Set(status.workers.map(\.node)).count == status.workers.count)
        pool.close()
        try await pool.join()
    }

    // MARK: Shared state held by the supervisor

    @Test func aProxyWorksWhateverSpellingOfTheSupervisorsAddressEachProcessUsed() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://0.0.0.0:*", security: .insecure))
        defer { server.stop(now: true) }
        let port = port(of: server.endpoint)
        // The workers reach it through 127.0.0.1, this client through 127.0.0.2.
        let workers = try await startWorkers(1, supervisor: "tcp://127.0.0.1:\(port)")
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await waitForWorkers(server, count: 1))
        let spelling = "tcp://127.0.0.2:\(port)"
        let manager = try await Manager.connecting(to: spelling, security: .insecure, timeout: .seconds(10))
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary()
        let pool = try await Pool<EchoWorker>(connectingTo: spelling, security: .insecure)
        try await pool.apply { try await $0.increment(dictionary, key: "k", times: 40, concurrency: 4) }
        #expect(try await dictionary.get("k") == 40)
        pool.close()
        try await pool.join()
    }

    @Test func theChildrenOfACurveClientUseItsSupervisorHeldProxies() async throws {
        let serverKeys = try Curve.generateKeyPair(), clientKeys = try Curve.generateKeyPair()
        let server = try BrokerServer(BrokerConfiguration(
            bind: "tcp://127.0.0.1:*",
            security: .curve(server: CurveServerSettings(publicKey: serverKeys.publicKey, secretKey: serverKeys.secretKey),
                             allowedKeys: [clientKeys.publicKey])))
        defer { server.stop(now: true) }
        let security = ClientSecurity.curve(CurveClientSettings(serverKey: serverKeys.publicKey, publicKey: clientKeys.publicKey,
                                                                 secretKey: clientKeys.secretKey))
        let manager = try await Manager.connecting(to: server.endpoint, security: security, timeout: .seconds(10))
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary()
        let queue: SharedQueue<Int> = try await manager.queue()
        // A local pool of this client: its workers have no keys, and no connection to the supervisor.
        let pool = try await Pool<EchoWorker>(processes: 2)
        _ = try await pool.map(0..<2, chunksize: 1) { worker, _ in
            try await worker.increment(dictionary, key: "k", times: 10, concurrency: 2)
        }
        #expect(try await dictionary.get("k") == 20)
        try await pool.apply { try await $0.put(7, on: queue) }
        #expect(try await queue.get(timeout: .seconds(5)) == 7)
        // A worker that dies holding a lock taken through this client frees it.
        let lock = try await manager.lock()
        _ = try? await pool.apply { try await $0.acquireAndDie(lock) }
        #expect(try await lock.acquire(timeout: .seconds(20)), "the lock of a local worker that died stays held")
        try await lock.release()
        pool.close()
        try await pool.join()
    }

    @Test func aLockHeldThroughTheSupervisorIsReleasedWhenItsHolderDies() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        defer { server.stop(now: true) }
        let workers = try await startWorkers(1, supervisor: server.endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await waitForWorkers(server, count: 1))
        let manager = try await Manager.connecting(to: server.endpoint, security: .insecure, timeout: .seconds(10))
        let lock = try await manager.lock()
        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)
        // The remote worker takes the lock and dies holding it.
        _ = try? await pool.apply { try await $0.acquireAndDie(lock) }
        #expect(try await lock.acquire(timeout: .seconds(20)), "the lock of a worker that died stays held")
        try await lock.release()
        pool.terminate()
    }

    @Test func aLockOfAClientThatFallsSilentIsReleasedAfterItsLivenessLimit() async throws {
        // 1 s heartbeats, liveness 3: a silent client holding a lock is gone after 3 s (not 30).
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure,
                                                                   heartbeatInterval: .seconds(1), liveness: 3))
        let context = try Context()
        let holder = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "silent-holder")
        let other = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "silent-other")
        defer { holder.close(); other.close(); server.stop(now: true) }
        try holder.state(1, "silent-lock", "create", [.string("lock")])
        try holder.state(2, "silent-lock", "acquire", [.uint(1)])
        #expect(try answer(holder, 2)?.get() == .bool(true))
        holder.close()
        // The other client waits for it (heartbeating, as the protocol asks of a waiting client).
        try other.state(3, "silent-lock", "acquire", [.uint(2), .int(20)])
        var got: MessagePackValue?
        let deadline = ContinuousClock.now + .seconds(25)
        while got == nil && ContinuousClock.now < deadline {
            try other.send(.heartbeat)
            if case .envelopes(let envelopes)? = other.receive(within: .milliseconds(500)),
               case .return(let reply)? = envelopes.first, reply.callID == 3 {
                got = try MessagePackValue(decoding: reply.value)
            }
        }
        #expect(got == .bool(true), "the silent client's lock was not released before the other's 20 s wait ended")
    }

    // MARK: Registrations, hand-overs and replies that the protocol allows

    /// A CALL body for a raw worker, whose content nobody reads.
    private let callBody: [UInt8] = {
        var body = EnvelopeWriter()
        body.append(.call(Envelope.Call(callID: 11, actor: 0, target: "t")))
        return body.bytes
    }()

    /// The answer to the STATE operation `callID`, read by `peer`: a value, or a THROW's code.
    private func answer(_ peer: RawSupervisorPeer, _ callID: UInt64) -> Result<MessagePackValue, TroupeError>? {
        while let received = peer.receive() {
            for envelope in received.envelopes ?? [] {
                switch envelope {
                case .return(let reply) where reply.callID == callID:
                    return (try? MessagePackValue(decoding: reply.value)).map { .success($0) }
                case .throw(let failure) where failure.callID == callID:
                    return .failure(TroupeError(TroupeError.Code(failure.code.rawValue), failure.message))
                default: continue
                }
            }
        }
        return nil
    }

    private func port(of endpoint: String) -> Int { Int(endpoint.split(separator: ":").last ?? "") ?? 0 }

    @Test func aWorkerThatRejoinsFromANewConnectionReplacesItsOldRegistration() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let context = try Context()
        let old = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "rejoin-1")
        let new = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "rejoin-1~2")
        let client = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "rejoin-client")
        defer { for peer in [old, new, client] { peer.close() }; server.stop(now: true) }

        try old.send(.ready(node: "rejoin", pid: 1, services: ["test.Raw"], host: "h"))
        #expect(await eventually { await server.status().workers.count == 1 })
        try new.send(.ready(node: "rejoin", pid: 1, services: ["test.Raw"], host: "h"))
        try client.send(.request(id: 1, service: "test.Raw", flags: 0), payload: callBody)
        // The request reaches the new connection, and the node is registered once.
        guard case .request(_, "test.Raw", _)? = new.receive()?.command else {
            Issue.record("the rejoined worker did not get the request")
            return
        }
        let status = await server.status()
        #expect(status.workers.map(\.node) == ["rejoin"], "registrations: \(status.workers)")
        #expect(status.running == 1)
    }

    @Test func aReadyFromABusyWorkerFailsItsRequestInsteadOfDroppingIt() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let context = try Context()
        let worker = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "busy-1")
        let client = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "busy-client")
        defer { for peer in [worker, client] { peer.close() }; server.stop(now: true) }

        try worker.send(.ready(node: "busy", pid: 1, services: ["test.Raw"], host: "h"))
        #expect(await eventually { await server.status().workers.count == 1 })
        try client.send(.request(id: 7, service: "test.Raw", flags: 0), payload: callBody)
        guard case .request? = worker.receive()?.command else {
            Issue.record("the worker did not get the request")
            return
        }
        try worker.send(.ready(node: "busy", pid: 1, services: ["test.Raw"], host: "h"))
        let answer = client.receive()?.command
        guard case .error(7, let code, _)? = answer else {
            Issue.record("the client got \(String(describing: answer)) for its request, not ERROR 7")
            return
        }
        #expect(code == TroupeError.Code.workerLost.rawValue)
        #expect(await server.status().running == 0)
    }

    @Test func aClientCompletesOnTheFinalReplyNotOnAPartialOne() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let context = try Context()
        let worker = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "partial-1")
        defer { worker.close(); server.stop(now: true) }
        try worker.send(.ready(node: "partial", pid: 1, services: [String(reflecting: EchoWorker.self)], host: "h"))
        #expect(await eventually { await server.status().workers.count == 1 })

        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)
        let result = try pool.applyAsync { try await $0.echo("ignored") }
        guard case .command(.request(let id, _, _), let payload)? = worker.receive(),
              case .call(let call)? = try EnvelopeDecoder().decode(body: payload).first else {
            Issue.record("the worker did not get the call")
            return
        }
        for (text, final) in [("partial", false), ("final", true)] {
            var body = EnvelopeWriter()
            body.append(.return(Envelope.Return(callID: call.callID, value: try MessagePackEncoder().encode(text))))
            try worker.send(.reply(id: id, final: final), payload: body.bytes)
        }
        #expect(try await result.get() == "final")
        pool.terminate()
    }

    @Test func anElementOrALockHandedToAVanishedWaiterIsNotLost() async throws {
        // Heartbeats far apart: what is checked here is not liveness.
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure,
                                                                   heartbeatInterval: .seconds(10), liveness: 3))
        let context = try Context()
        let owner = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "vanish-owner")
        let queueWaiter = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "vanish-queue")
        let lockWaiter = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "vanish-lock")
        defer { for peer in [owner, queueWaiter, lockWaiter] { peer.close() }; server.stop(now: true) }

        try owner.state(1, "q", "create", [.string("queue")])
        try owner.state(2, "l", "create", [.string("lock")])
        try owner.state(3, "l", "acquire", [.uint(1)])
        #expect(try answer(owner, 3)?.get() == .bool(true))
        // Each waiter waits, then asks a question on the same connection: its answer says the
        // wait has arrived. Then its connection vanishes.
        try queueWaiter.state(4, "q", "get", [.nil])
        try queueWaiter.state(5, "q", "count")
        #expect(try answer(queueWaiter, 5)?.get() == .int(0))
        try lockWaiter.state(6, "l", "acquire", [.uint(2)])
        try lockWaiter.state(7, "l", "count")
        #expect(try answer(lockWaiter, 7)?.get() == .int(1))
        for waiter in [queueWaiter, lockWaiter] {
            let local = try #require(waiter.localPort())
            waiter.close()
            #expect(await eventually { !RawSupervisorPeer.serverStillHolds(connectionFrom: local, to: port(of: server.endpoint)) })
        }

        // The element put, and the lock released, go to the vanished waiters: they come back.
        try owner.state(8, "q", "put", [.int(42)])
        try owner.state(9, "l", "release", [.uint(1)])
        #expect(try answer(owner, 9)?.get() == .nil)
        try owner.state(10, "q", "get", [.int(0)])
        #expect(try answer(owner, 10)?.get() == .int(42), "the element handed to a vanished waiter was lost")
        try owner.state(11, "l", "acquire", [.uint(3), .int(0)])
        #expect(try answer(owner, 11)?.get() == .bool(true), "the lock handed to a vanished waiter stays held")
    }

    @Test func aPoolConnectedToASupervisorRunsWorkOnItsWorkers() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
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
        // The test worker serves TracedWorker too.
        #expect(status.workers.allSatisfy { $0.services.contains(String(reflecting: EchoWorker.self)) })
        server.stop(now: true)
        await server.wait()
    }

    @Test func sharedStateHeldByTheSupervisorIsReachedFromEveryProcess() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let workers = try await startWorkers(1, supervisor: server.endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await waitForWorkers(server, count: 1))

        let manager = try await Manager.connecting(to: server.endpoint, security: .insecure)
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary(["seed": 1])
        try await dictionary.set("k", to: 41)
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
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure,
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

    // MARK: Credit: workers that hold several requests

    @Test func aKilledWorkerFailsTheRequestItRanAndTheOnesItHeldRunElsewhereOnce() async throws {
        var configuration = BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure,
                                                    heartbeatInterval: .milliseconds(100), liveness: 5)
        // Keep the requests behind the slow one where they are: this test is about the death.
        configuration.slowRequestLimit = .seconds(600)
        let server = try BrokerServer(configuration)
        let workers = try await startWorkers(2, supervisor: server.endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await eventually { await server.status().workers.filter { $0.credit == 64 }.count == 2 })
        let manager = try await Manager.connecting(to: server.endpoint, security: .insecure)
        let runs: SharedDictionary<Int, Int> = try await manager.dictionary()
        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)

        let slow = try pool.applyAsync { try await $0.sleep(milliseconds: 60_000) }
        #expect(await eventually { await server.status().running == 1 })
        let victim = try #require(await server.status().workers.first { $0.state == "busy" }?.pid)
        let quick = try (0..<40).map { index in try pool.applyAsync { try await $0.recordRun(index, in: runs) } }
        // Some of them wait in the sleeping worker, behind its request.
        #expect(await eventually { await (server.status().workers.first { $0.pid == victim }?.prefetched ?? 0) > 0 })
        kill(pid_t(victim), SIGKILL)

        let killed = await #expect(throws: TroupeError.self) { try await slow.get() }
        #expect(killed?.code == .workerLost)
        for result in quick {
            let pid = try await result.get()
            #expect(Int64(pid) != victim, "a request ran in the killed worker")
        }
        let counts = try await runs.snapshot()
        #expect(counts.count == 40)
        #expect(counts.values.allSatisfy { $0 == 1 }, "every request ran exactly once: \(counts)")
        // Declared lost by its silence, or dropped when a send found its connection gone.
        #expect(await !server.status().workers.contains { $0.pid == victim })
        pool.close()
        try await pool.join()
        server.stop(now: true)
        await server.wait()
    }

    @Test func theRequestsBehindASlowRequestGoToTheIdleWorker() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let workers = try await startWorkers(2, supervisor: server.endpoint)
        defer { for worker in workers { worker.send(signal: SIGKILL) } }
        #expect(await eventually { await server.status().workers.filter { $0.credit == 64 }.count == 2 })
        let manager = try await Manager.connecting(to: server.endpoint, security: .insecure)
        let runs: SharedDictionary<Int, Int> = try await manager.dictionary()
        let pool = try await Pool<EchoWorker>(connectingTo: server.endpoint, security: .insecure)

        let slow = try pool.applyAsync { try await $0.slowEcho("slow", milliseconds: 60_000) }
        #expect(await eventually { await server.status().running == 1 })
        let slowPID = try #require(await server.status().workers.first { $0.state == "busy" }?.pid)
        let quick = try (0..<40).map { index in try pool.applyAsync { try await $0.recordRun(index, in: runs) } }
        for result in quick {
            #expect(Int64(try await result.get()) != slowPID, "a request waited for the slow one and ran after it")
        }
        // All of them finished while the slow one still runs.
        #expect(!slow.isReady)
        let counts = try await runs.snapshot()
        #expect(counts.count == 40 && counts.values.allSatisfy { $0 == 1 }, "\(counts)")
        pool.terminate()
        try await pool.join()
        server.stop(now: true)
        await server.wait()
    }

    @Test func aWorkerWithoutCreditHoldsOneRequestAndOneWithCreditSaysWhatStarted() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let context = try Context()
        let plain = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "credit-plain")
        let client = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "credit-client")
        var prefetching: RawSupervisorPeer? = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "credit-4")
        defer { for peer in [plain, client, prefetching].compactMap({ $0 }) { peer.close() }; server.stop(now: true) }

        // A worker that speaks the READY of old, and nothing of credit, gets one request at a time.
        try plain.send(.ready(node: "plain", pid: 1, services: ["test.Raw"], host: "h"))
        #expect(await eventually { await server.status().workers.count == 1 })
        for id in UInt64(1)...3 { try client.send(.request(id: id, service: "test.Raw", flags: 0), payload: callBody) }
        guard case .request(let first, _, _)? = plain.receive()?.command else {
            Issue.record("the worker without credit got no request")
            return
        }
        #expect(await eventually { await server.status().queued["test.Raw"] == 2 })
        let status = await server.status()
        #expect(status.running == 1 && status.workers.first?.credit == 1 && status.workers.first?.prefetched == 0)
        try plain.send(.reply(id: first, final: true), payload: callBody)
        guard case .request(let second, _, _)? = plain.receive()?.command else {
            Issue.record("the worker without credit got no second request after its reply")
            return
        }

        // One with credit 4 gets the one left and the next three (4, 5 retryable, 6) at once.
        let worker = try #require(prefetching)
        try worker.send(.ready(node: "four", pid: 2, services: ["test.Raw"], host: "h"))
        try worker.send(.credit(4))
        // The request left may reach it before the grant does (it holds one without credit).
        var held: [UInt64] = []
        var granted = false
        while !granted, let command = worker.receive()?.command {
            if case .credit(4) = command { granted = true } else if case .request(let id, _, _) = command { held.append(id) }
        }
        guard granted else {
            Issue.record("the supervisor did not grant the credit")
            return
        }
        try client.send(.request(id: 4, service: "test.Raw", flags: 0), payload: callBody)
        try client.send(.request(id: 5, service: "test.Raw", flags: SupervisorCommand.retryableFlag), payload: callBody)
        try client.send(.request(id: 6, service: "test.Raw", flags: 0), payload: callBody)
        while held.count < 4, case .request(let id, _, _)? = worker.receive()?.command { held.append(id) }
        #expect(held.count == 4, "the worker with credit 4 holds \(held.count) requests")
        guard held.count == 4 else { return }
        // It says it started the first three (requests 3, 4 and 5), and leaves holding all four.
        try worker.send(.started(ids: [held[0], held[1], held[2]]))
        #expect(await eventually { await server.status().running == 4 })
        try worker.send(.disconnect(reason: "leaving"))
        #expect(await eventually { await server.status().workers.count == 1 })
        worker.close()
        prefetching = nil

        // The started, non-retryable ones fail; the started retryable one and the one that had
        // not started wait for the plain worker, in that order.
        var errors: [UInt64] = []
        while errors.count < 2, let received = client.receive()?.command {
            // The reply to request 1 came first.
            guard case .error(let id, let code, _) = received else { continue }
            #expect(code == TroupeError.Code.workerLost.rawValue)
            errors.append(id)
        }
        #expect(Set(errors) == [3, 4])
        #expect(await eventually { await server.status().queued["test.Raw"] == 2 })
        #expect(await server.status().prefetched == 0)
        try plain.send(.reply(id: second, final: true), payload: callBody)
        guard case .request(_, _, let flags)? = plain.receive()?.command else {
            Issue.record("the plain worker got nothing after its second reply")
            return
        }
        #expect(flags == SupervisorCommand.retryableFlag, "the retried request comes first")
    }

    @Test func peersThatSentBatchGetTheRequestsAndRepliesOfATurnInOneMessage() async throws {
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let context = try Context()
        let worker = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "batch-worker")
        let client = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "batch-client")
        let plain = try RawSupervisorPeer(context, endpoint: server.endpoint, identity: "batch-plain")
        defer { for peer in [worker, client, plain] { peer.close() }; server.stop(now: true) }

        try worker.send(.ready(node: "batching", pid: 1, services: ["test.Raw"], host: "h"))
        try worker.send(.credit(8))
        try worker.send(.batch)
        var answers: [SupervisorCommand] = []
        while answers.count < 2, let commands = worker.receiveCommands() { answers += commands.map(\.0) }
        #expect(answers == [.credit(8), .batch])
        // Asked again on the same connection (a worker that introduces itself again), it answers again.
        try worker.send(.batch)
        #expect(worker.receiveCommands()?.map(\.0) == [.batch])
        try client.send(.heartbeat)
        try client.send(.batch)
        #expect(client.receiveCommands()?.map(\.0) == [.batch])

        // Four REQUESTs in one message reach the worker, handed in one turn, in one message.
        try client.send(batch: (UInt64(1)...4).map { (.request(id: $0, service: "test.Raw", flags: 0), payload: callBody) })
        let requests = try #require(worker.receiveCommands())
        let ids = requests.compactMap { command -> UInt64? in
            if case .request(let id, "test.Raw", 0) = command.0 { return id }
            return nil
        }
        #expect(ids.count == 4, "one message held \(requests.map(\.0))")
        #expect(requests.allSatisfy { $0.payload == callBody }, "payloads pass unchanged")

        // The worker's STARTED and four REPLYs in one message come back to the client together.
        try worker.send(batch: [(.started(ids: ids), payload: [])] + ids.map { (.reply(id: $0, final: true), payload: replyBody($0)) })
        let replies = try #require(client.receiveCommands())
        #expect(replies.map(\.0) == (UInt64(1)...4).map { .reply(id: $0, final: true) }, "one message held \(replies.map(\.0))")
        #expect(replies.map(\.payload) == ids.map(replyBody))
        #expect(await eventually { await server.status().completed == 4 })

        // A peer that never sent BATCH may not send several commands in one message: REJECT
        // `malformed`, and nothing of it is carried out.
        try plain.send(batch: [(.heartbeat, payload: []), (.statusQuery(id: 9), payload: [])])
        guard case .reject(let rejection)? = plain.receive()?.envelopes?.first else {
            Issue.record("a several-command message from a peer without BATCH was not rejected")
            return
        }
        #expect(rejection.code == WireError.Code.malformed.rawValue)
    }

    private func replyBody(_ id: UInt64) -> [UInt8] {
        var body = EnvelopeWriter()
        body.append(.return(Envelope.Return(callID: id, value: MessagePackValue.int(Int64(id)).encoded)))
        return body.bytes
    }
}
