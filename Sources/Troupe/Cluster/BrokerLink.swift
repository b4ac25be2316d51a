import TroupePlatform
import Synchronization
import TroupeWire

/// This process's connection to a standalone supervisor (Protocol 2), as a client that
/// sends work or as a worker that serves it: heartbeats both ways, liveness, reconnection
/// with back-off, and the commands that arrive.
final class BrokerLink: Sendable {
    /// What this process is to the supervisor.
    enum Role: Sendable {
        /// Sends REQUESTs and status queries.
        case client
        /// Serves the listed services, each with the actor that runs its calls.
        case worker(node: String, services: [String: UInt64])
    }

    /// How often each side sends a HEARTBEAT, and how many may be missed before the peer is
    /// declared lost (Paranoid Pirate). `TROUPE_HEARTBEAT_MS` and `TROUPE_LIVENESS` override.
    struct Liveness: Sendable {
        var interval: Duration
        var missed: Int

        static var fromEnvironment: Liveness {
            Liveness(interval: .milliseconds(environmentValue("TROUPE_HEARTBEAT_MS").flatMap { Int($0) } ?? 1000),
                     missed: environmentValue("TROUPE_LIVENESS").flatMap { Int($0) } ?? 3)
        }

        /// How long a worker keeps trying to reach a silent supervisor before it exits (its
        /// node agent starts it again), and a client keeps work back for one: 60 s, or
        /// `TROUPE_GIVE_UP_MS`.
        static var giveUpFromEnvironment: Duration {
            .milliseconds(environmentValue("TROUPE_GIVE_UP_MS").flatMap { Int($0) } ?? 60_000)
        }

        var timeout: Duration { interval * missed }
    }

    /// The DISCONNECT reason that asks a worker the supervisor does not know to send READY again.
    static let reregisterReason = "unknown worker: send READY first"
    /// How the DISCONNECT reason begins that refuses a worker whose key may not serve.
    static let unauthorizedReasonPrefix = "unauthorized:"
    /// Exit code of a worker whose key the supervisor does not allow to serve (its node agent
    /// gives up rather than start it again).
    static let unauthorizedExitCode: Int32 = 77

    /// How many requests a worker asks to hold at once (CREDIT): 64, or `TROUPE_WORKER_CREDIT`
    /// (1 makes it take one at a time, as a worker that sends no CREDIT).
    static var workerCreditFromEnvironment: UInt64 {
        environmentValue("TROUPE_WORKER_CREDIT").flatMap { UInt64($0) }.map { max($0, 1) } ?? 64
    }

    let endpoint: String
    let role: Role
    let liveness: Liveness
    /// A worker that hears nothing from its supervisor for this long exits (its node agent
    /// restarts it); a worker never outlives a supervisor that is gone for good.
    let orphanTimeout: Duration

    private struct State {
        var lastHeard: ContinuousClock.Instant
        var lastSent: ContinuousClock.Instant
        var lostSince: ContinuousClock.Instant?
        var nextReconnect: ContinuousClock.Instant?
        var reconnects = 0
        /// Every reconnection since the link started (for status and tests).
        var reconnectsInAll = 0
        /// Whether anything was ever heard from the supervisor.
        var heardOnce = false
        var waiters: [UInt64: UnsafeContinuation<[UInt8], any Error>] = [:]
        /// Query ids start high, apart from the call ids of REQUESTs (an ERROR may answer either).
        var lastQueryID: UInt64 = 1 << 62
        /// Calls submitted while the supervisor was unreachable, in order: sent once it answers.
        var held: [HeldCall] = []
        /// A worker's: whether the supervisor granted its CREDIT on this connection. From then
        /// on the worker holds several requests and reports each one it starts (STARTED).
        var creditGranted = false
        /// Whether this link introduced itself (READY, CREDIT, BATCH) since the supervisor was
        /// last declared lost. ZeroMQ may connect the old connection to a supervisor restarted
        /// at the same address before the link reconnects: that one has never heard of it.
        var introducedSinceLoss = true
    }

    /// A call kept back while the supervisor is unreachable (it never left this process).
    private struct HeldCall {
        let id: UInt64
        let envelope: Envelope
        let peer: PeerAddress
        let since: ContinuousClock.Instant
    }

    private let state: Mutex<State>
    /// Whether the supervisor answered this connection's BATCH: from then on the commands
    /// queued for it in one turn leave together, in one message.
    private let batches = Atomic<Bool>(false)

    /// Whether the commands for the supervisor may travel several to a message (BATCH).
    var batchesGranted: Bool { batches.load(ordering: .relaxed) }

    init(endpoint: String, role: Role, liveness: Liveness = .fromEnvironment, orphanTimeout: Duration = Liveness.giveUpFromEnvironment) {
        self.endpoint = endpoint
        self.role = role
        self.liveness = liveness
        self.orphanTimeout = orphanTimeout
        let now = ContinuousClock.now
        state = Mutex(State(lastHeard: now, lastSent: now))
    }

    /// Whether the supervisor has gone silent and this process is trying to reach it again.
    var isUnreachable: Bool { state.withLock { $0.lostSince != nil } }

    /// How many times this link has reconnected since it started.
    var reconnectAttempts: Int { state.withLock { $0.reconnectsInAll } }

    /// Opens the connection and introduces this process.
    func start(on system: TroupeActorSystem, curve: CurveClientSettings?) {
        // This process's own workers reach the supervisor's shared state through it.
        _ = system.stateHandler(orMake: { StateStore() })
        system.connect(to: endpoint, curve: curve)
        introduce(on: system)
    }

    private func introduce(on system: TroupeActorSystem) {
        // One command a message until the supervisor answers this BATCH (one that does not
        // know it answers REJECT, and this side never batches).
        batches.store(false, ordering: .relaxed)
        switch role {
        case .client:
            system.sendCommand(.heartbeat, to: endpoint)
        case .worker(let node, let services):
            // A new registration: starts are reported again only once this CREDIT is granted.
            state.withLock { $0.creditGranted = false }
            system.sendCommand(.ready(node: node, pid: Int64(getpid()), services: services.keys.sorted(), host: Self.hostName),
                                to: endpoint)
            system.sendCommand(.credit(Self.workerCreditFromEnvironment), to: endpoint)
        }
        system.sendCommand(.batch, to: endpoint)
        state.withLock { state in
            state.lastSent = ContinuousClock.now
            state.introducedSinceLoss = true
        }
    }

    /// This host's name, as workers report it.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Incoming

    /// Handles one command from the supervisor (on the mailbox thread).
    func received(_ command: SupervisorCommand, payload: [UInt8], system: TroupeActorSystem) {
        let (wasLost, held, introduced) = state.withLock { state -> (Bool, [HeldCall], Bool) in
            state.lastHeard = ContinuousClock.now
            state.heardOnce = true
            defer { state.lostSince = nil; state.reconnects = 0; state.nextReconnect = nil; state.held = [] }
            return (state.lostSince != nil, state.held, state.introducedSinceLoss)
        }
        if wasLost {
            system.logger.info("supervisor reachable again", metadata: ["troupe.endpoint": "\(endpoint)", "troupe.held": "\(held.count)"])
            // Answered on the old connection, perhaps by a new supervisor: it must hear who
            // this is, and agree to BATCH, before anything leaves batched.
            if !introduced { introduce(on: system) }
            // Work submitted meanwhile leaves now, on the new connection; a call that ended
            // while it waited (cancelled, or failed when the supervisor was declared lost) stays.
            for call in held where system.calls.peer(of: call.id) != nil {
                system.send(call.envelope, to: call.peer)
            }
        }
        switch (command, role) {
        case (.heartbeat, _):
            // Answer in the supervisor's rhythm, whatever interval this side was configured with.
            let answer = state.withLock { state -> Bool in
                let now = ContinuousClock.now
                guard now - state.lastSent > .milliseconds(20) else { return false }
                state.lastSent = now
                return true
            }
            if answer { system.sendCommand(.heartbeat, to: endpoint) }
        case (.request(let id, let service, _), .worker(_, let services)):
            guard let actor = services[service] else {
                system.send(.throw(Envelope.Throw(failure: TroupeError(.unknownTarget, "this worker does not serve \(service)"), callID: id)),
                            to: .brokered(endpoint: endpoint, request: id))
                return
            }
            do {
                let envelopes = try EnvelopeDecoder().decode(body: payload)
                guard envelopes.count == 1, case .call(var call) = envelopes[0] else {
                    throw WireError(.malformed, "a REQUEST payload holds exactly one CALL")
                }
                call.actor = actor
                // A request received after the credit was granted is one of several this worker
                // holds: the supervisor must hear that it starts before it runs, so that if this
                // process dies it knows which ran. The REPLYs ready by then leave with it.
                let endpoint = self.endpoint
                let reportsStart = state.withLock { $0.creditGranted }
                // The dispatcher hands the reports to the socket before the call runs.
                let report: @Sendable () -> Void = {
                    system.sendCommand(.started(ids: [id]), to: endpoint)
                }
                system.incoming.dispatch(call, from: .brokered(endpoint: endpoint, request: id), system: system, willStart: reportsStart ? report : nil)
            } catch {
                // The call id is unknown; the client matches the REPLY by its header id.
                system.counters.malformedMessages.add(1, ordering: .relaxed)
                system.send(.throw(Envelope.Throw(failure: TroupeError(.malformedMessage, "the request could not be decoded: \(error)"), callID: id)),
                            to: .brokered(endpoint: endpoint, request: id))
            }
        case (.cancel(let id), .worker):
            system.incoming.cancelBrokered(.brokered(endpoint: endpoint, request: id), system: system)
        case (.credit, .worker):
            state.withLock { $0.creditGranted = true }
        case (.batch, _):
            batches.store(true, ordering: .relaxed)
        case (.withdraw(let ids), .worker):
            // Give back what has not started; a started one's STARTED or REPLY says the rest.
            let given = system.incoming.withdrawBrokered(Set(ids.map { PeerAddress.brokered(endpoint: endpoint, request: $0) }))
            let returned = given.compactMap { peer -> UInt64? in
                if case .brokered(_, let id) = peer { return id }
                return nil
            }
            system.sendCommand(.withdrawn(ids: returned), to: endpoint)
        case (.disconnect(let reason), .worker) where reason.hasPrefix(Self.unauthorizedReasonPrefix):
            system.logger.error("the supervisor refused this worker", metadata: ["troupe.reason": "\(reason)"])
            printError("troupe: the supervisor at \(endpoint) refused this worker: \(String(reason.dropFirst(Self.unauthorizedReasonPrefix.count)).trimmingWhitespace)")
            exit(Self.unauthorizedExitCode)
        case (.disconnect(let reason), .worker) where reason == Self.reregisterReason:
            // The supervisor no longer knows this worker (it was declared lost): join again.
            introduce(on: system)
        case (.disconnect(let reason), .worker):
            system.logger.info("the supervisor told this worker to leave", metadata: ["troupe.reason": "\(reason)"])
            system.afterQueuedCalls {
                system.sendCommand(.disconnect(reason: "leaving"), to: self.endpoint)
                system.shutdown()
                exit(0)
            }
        case (.reply(_, false), .client):
            // A partial reply: Troupe's calls have one outcome, the final REPLY's.
            system.logger.debug("ignored a partial reply", metadata: ["troupe.endpoint": "\(endpoint)"])
        case (.reply(let id, true), .client):
            // The header's id is the call's: a worker that could not read the call cannot
            // know the call id the payload would carry.
            do {
                let envelopes = try EnvelopeDecoder().decode(body: payload)
                switch envelopes.first {
                case .return(let reply)?:
                    system.calls.complete(id, from: .connection(endpoint), with: .success(reply.value))
                case .throw(let failure)?:
                    system.calls.complete(id, from: .connection(endpoint), with: .failure(failure.troupeError))
                default:
                    throw WireError(.malformed, "a REPLY payload holds a RETURN or a THROW")
                }
            } catch {
                system.counters.malformedMessages.add(1, ordering: .relaxed)
                system.calls.complete(id, from: .connection(endpoint), with: .failure(TroupeError(.malformedMessage, "the reply could not be decoded: \(error)",
                                                                     context: ["supervisor": endpoint])))
            }
        case (.error(let id, let code, let message), .client):
            let failure = TroupeError(TroupeError.Code(code), message, context: ["supervisor": endpoint])
            // A refused STOP or STATUS-QUERY, or a request.
            if let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) {
                waiter.resume(throwing: failure)
            } else {
                system.calls.complete(id, from: .connection(endpoint), with: .failure(failure))
            }
        case (.status(let id), .client), (.done(let id), .client):
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: payload)
        case (.disconnect(let reason), .client):
            failCalls(system: system, because: "the supervisor at \(endpoint) disconnected (\(reason))")
        default:
            system.counters.malformedMessages.add(1, ordering: .relaxed)
            system.logger.warning("unexpected command from the supervisor", metadata: ["troupe.command": "\(command.header.first.map { "\($0)" } ?? "?")"])
        }
    }

    // MARK: Work while the supervisor is unreachable

    /// Keeps back a call to a service (and drops the cancellation of one kept back) while the
    /// supervisor is unreachable: the call leaves once it answers again, on the new
    /// connection. A call sent to a connection that may have reached the supervisor fails
    /// instead (`workerLost`: its outcome is unknown), so no call runs twice.
    /// - Returns: true when the envelope was kept back or dropped, and must not be sent.
    func holdWhileUnreachable(_ envelope: Envelope, to peer: PeerAddress) -> Bool {
        guard case .client = role else { return false }
        return state.withLock { state in
            switch envelope {
            case .call(let call):
                guard state.lostSince != nil else { return false }
                state.held.append(HeldCall(id: call.callID, envelope: envelope, peer: peer, since: ContinuousClock.now))
                return true
            case .cancel(let callID):
                guard let index = state.held.firstIndex(where: { $0.id == callID }) else { return false }
                state.held.remove(at: index)
                return true
            default:
                return false
            }
        }
    }

    /// Fails the calls kept back longer than the give-up time: they were never sent.
    private func failOverdueHeldCalls(now: ContinuousClock.Instant, system: TroupeActorSystem) {
        let overdue = state.withLock { state -> [HeldCall] in
            guard let first = state.held.first, now - first.since > orphanTimeout else { return [] }
            let (late, kept) = (state.held.filter { now - $0.since > orphanTimeout }, state.held.filter { now - $0.since <= orphanTimeout })
            state.held = kept
            return late
        }
        for call in overdue {
            system.calls.end(call.id, with: TroupeError(
                .workerLost,
                "the supervisor at \(endpoint) stayed unreachable for \(orphanTimeout): the task was never sent, and did not run",
                context: ["supervisor": endpoint]))
        }
    }

    // MARK: Liveness

    /// Sends heartbeats and notices silence (on the mailbox thread, every tick).
    func tick(now: ContinuousClock.Instant, system: TroupeActorSystem) {
        enum Action { case none, heartbeat, lost(quiet: Bool), reconnect, giveUp }
        let action = state.withLock { state -> Action in
            if let since = state.lostSince {
                if case .worker = role, now - since > orphanTimeout { return .giveUp }
                if let next = state.nextReconnect, now >= next {
                    state.reconnects += 1
                    state.reconnectsInAll += 1
                    let backoff = min(Duration.seconds(1) * (1 << min(state.reconnects - 1, 4)), .seconds(10))
                    state.nextReconnect = now + backoff
                    state.lastSent = now
                    return .reconnect
                }
                guard now - state.lastSent >= liveness.interval else { return .none }
                state.lastSent = now
                return .heartbeat
            }
            if now - state.lastHeard > liveness.timeout {
                state.lostSince = now
                state.nextReconnect = now
                state.introducedSinceLoss = false
                return .lost(quiet: !state.heardOnce)
            }
            if now - state.lastSent >= liveness.interval {
                state.lastSent = now
                return .heartbeat
            }
            return .none
        }
        failOverdueHeldCalls(now: now, system: system)
        switch action {
        case .none:
            break
        case .heartbeat:
            system.sendCommand(.heartbeat, to: endpoint)
        case .lost(let quiet):
            // Before first contact, a query's own timeout says it better than a log line.
            if !quiet {
                system.logger.warning("no heartbeat from the supervisor; reconnecting",
                                      metadata: ["troupe.endpoint": "\(endpoint)", "troupe.silence": "\(liveness.timeout)"])
            }
            // Whoever answers next may be a supervisor that never agreed to BATCH.
            batches.store(false, ordering: .relaxed)
            failCalls(system: system, because: "no heartbeat from the supervisor at \(endpoint) for \(liveness.timeout)")
        case .reconnect:
            batches.store(false, ordering: .relaxed)
            system.transport.reconnect(to: endpoint)
            introduce(on: system)
        case .giveUp:
            system.logger.error("the supervisor stayed silent; this worker exits", metadata: ["troupe.endpoint": "\(endpoint)"])
            exit(WorkerHost.supervisorLostExitCode)
        }
    }

    /// Fails every call in flight through this supervisor: work with `.workerLost` (its
    /// outcome is unknown), shared-state operations with `.ownerUnavailable`.
    private func failCalls(system: TroupeActorSystem, because reason: String) {
        let error = TroupeError(.workerLost, reason + ": the work's outcome is unknown", context: ["supervisor": endpoint])
        system.calls.failAll(where: { peer in
            if case .service(let endpoint, _) = peer { return endpoint == self.endpoint }
            return false
        }, with: error)
        let stateError = TroupeError(.ownerUnavailable, reason + ": the shared-state operation may or may not have been performed",
                                     context: ["supervisor": endpoint])
        system.calls.failAll(to: .connection(endpoint), with: stateError)
        // Status queries and stops keep waiting until their own timeout.
    }

    /// The error for a supervisor that did not answer a query.
    static func unansweredError(_ endpoint: String, after timeout: Duration) -> TroupeError {
        TroupeError(.timeout,
                    "the supervisor at \(endpoint) did not answer within \(timeout). Is it running at that address? "
                        + "If it uses CURVE: is this node's public key (.pub) in its --allow list, and is the server key its .pub? "
                        + "The supervisor logs the keys it refuses",
                    context: ["supervisor": endpoint])
    }

    // MARK: Queries

    /// Sends a STATUS-QUERY or STOP and waits for its answer's payload.
    func ask(_ make: (UInt64) -> SupervisorCommand, system: TroupeActorSystem, timeout: Duration) async throws -> [UInt8] {
        let id = state.withLock { state -> UInt64 in
            state.lastQueryID += 1
            return state.lastQueryID
        }
        let command = make(id)
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            let waiter = self?.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: Self.unansweredError(self?.endpoint ?? "?", after: timeout))
        }
        defer { timer.cancel() }
        return try await withUnsafeThrowingContinuation { continuation in
            state.withLock { $0.waiters[id] = continuation }
            system.sendCommand(command, to: endpoint)
        }
    }
}
