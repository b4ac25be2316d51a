import TroupePlatform
import DequeModule
import Logging
import TroupeWire
import ZeroMQ

/// The state of a supervisor's thread: its sockets, its workers, clients and queues. It is
/// the driver of a ``MailboxExecutor``, the socket-thread loop the mailbox runs on too: the
/// executor's leader thread calls ``turn(waitMilliseconds:)`` again and again, and hands the
/// loop between threads only under its lock. Other threads reach it only through the work
/// they queue on its server. It is not `Sendable`.
final class BrokerLoop: MailboxDriver {
    private struct WorkerEntry {
        let node: String
        let pid: Int64
        let host: String
        var address: String
        let services: [String]
        /// How many requests it may hold at once: 1 until it sends CREDIT.
        var credit = 1
        /// Whether it reports the requests it starts (it sent CREDIT): a request it holds has
        /// started only once it said so. A worker that never sent CREDIT holds one request,
        /// started as soon as it was handed over.
        var reportsStarts = false
        /// The supervisor's ids of the requests it holds, in the order they were handed to it:
        /// the ones it runs (or ran) and the ones waiting behind.
        var held: [UInt64] = []
        /// The request it said it started last and has not finished, and when that was heard.
        var current: (id: UInt64, since: ContinuousClock.Instant)?
        /// Its current request has run so long that the ones behind it were taken back: it
        /// gets no more work until a request of its own finishes.
        var slow = false
        var tasksDone = 0
        var lastHeard: ContinuousClock.Instant
        /// How many workers held its place before it, and how the last one ended.
        var restarts = 0
        var lastExit: String?

        /// Whether it may be handed one more request.
        var acceptsWork: Bool { held.count < credit && !slow }

        /// Forgets a request it finished (final REPLY).
        mutating func finished(_ id: UInt64) {
            if let index = held.firstIndex(of: id) { held.remove(at: index) }
            if current?.id == id { current = nil }
            slow = false
            tasksDone += 1
        }
    }

    private struct Request {
        let client: PeerID
        let clientID: UInt64
        let service: String
        let flags: UInt64
        let payload: [UInt8]
        var attempts = 0
        let received = ContinuousClock.now
    }

    /// A request handed to a worker: waiting in the worker behind others, or started.
    private struct Running {
        var request: Request
        let worker: PeerID
        /// Whether the worker started it: said so (STARTED, or a REPLY), or holds one request
        /// at a time and so starts each when it gets it.
        var started: Bool
    }

    private struct ClientKey: Hashable {
        let client: PeerID
        let id: UInt64
    }

    private enum Phase: String { case running, closing, stopped }

    /// A peer's routing identity, hashed in one go (an array of bytes hashes byte by byte,
    /// and the loop hashes identities several times for every message).
    struct PeerID: Hashable {
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// The commands waiting to leave for one peer that agreed to BATCH, in one message: its
    /// frames so far (routing id, signature, then a header and a payload per command), and
    /// the supervisor's ids of the requests among them (to take back if the peer is gone).
    private struct Outgoing {
        var frames: [[UInt8]]
        var commands = 0
        var handed: [UInt64] = []
    }

    // Strong: the thread may outlive the last other reference, and must not read a dead one.
    let server: BrokerServer
    private let context: Context
    private let router: Socket
    private let zap: Socket?
    private let monitor: SocketMonitor?
    private let poller = Poller()
    private let store = StateStore()
    /// Who is admitted, with what roles; nil on an insecure supervisor (everybody, every role).
    private let allowList: KeyAllowList?
    private var logger: Logger { server.logger }

    private var workers: [PeerID: WorkerEntry] = [:]
    /// Workers declared lost that may still be connected: told to register again if heard from.
    private var lostWorkers: Set<PeerID> = []
    private var clients: [PeerID: ContinuousClock.Instant] = [:]
    /// The clients that have sent work or shared-state operations (the rest only watch: status
    /// queries and heartbeats). They must heartbeat, and are what STATUS counts as clients.
    private var working: Set<PeerID> = []
    private var queues: [String: Deque<Request>] = [:]
    private var running: [UInt64: Running] = [:]
    private var runningByClient: [ClientKey: UInt64] = [:]
    /// Every request queued or running, by its client's id for it: a second REQUEST with the
    /// same id is refused while the first is outstanding.
    private var outstanding: Set<ClientKey> = []
    private var lastRequestID: UInt64 = 0
    /// The peers that sent BATCH: they take messages of several commands, and may send them.
    private var batching: Set<PeerID> = []
    /// What leaves for those peers at the end of this turn (or once a message is full).
    private var outgoing: [PeerID: Outgoing] = [:]
    /// Set when queued work may now go to a worker: the hand-out runs once per turn, so that
    /// requests that arrive together leave together.
    private var needsDispatch = false
    private var phase = Phase.running
    private var stopRequesters: [(client: PeerID, id: UInt64)] = []
    private var completed = 0
    private var workersLost = 0
    private var rejected: [String: Int] = [:]
    private var unauthorized = 0
    /// The distinct keys the allow-list refused.
    private var refusedKeys: Set<String> = []
    private var lastHeartbeat = ContinuousClock.now
    /// When the liveness check last ran: a long gap means this process itself was stopped.
    private var lastTick = ContinuousClock.now
    private var stopDeadline: ContinuousClock.Instant?
    private var lastHandshakeLog: [UInt32: ContinuousClock.Instant] = [:]
    private var rejectWindowStart = ContinuousClock.now
    private var rejectsInWindow = 0
    // Observability: what finished lately, failures by code, who replaced whom, and this
    // supervisor's share of the metrics' levels.
    private var activity = TaskActivity()
    private var failed: [String: Int] = [:]
    private var replacements = WorkerReplacements<PeerID>()
    private let metrics = TroupeMetrics.shared
    private var queuedLevel = TroupeMetrics.Level(TroupeMetrics.shared.tasksQueued)
    private var runningLevel = TroupeMetrics.Level(TroupeMetrics.shared.tasksRunning)
    private var workersLevel = TroupeMetrics.Level(TroupeMetrics.shared.workersAlive)
    private let hostName = BrokerLink.hostName

    init(server: BrokerServer, context: Context, router: consuming Socket, zap: consuming Socket?, monitor: consuming SocketMonitor?) {
        self.server = server
        self.context = context
        self.router = router
        self.zap = zap
        self.monitor = monitor
        allowList = server.configuration.security.allowList
    }

    private var interval: Duration { server.configuration.heartbeatInterval }

    // MARK: One turn

    /// One turn of the supervisor's thread: waits for input (not at all when `waitMilliseconds`
    /// is 0 or work is ready to leave), takes what other threads queued, reads the sockets,
    /// checks liveness, hands out work and sends what is ready.
    /// - Returns: false once the supervisor has stopped and closed its sockets.
    func turn(waitMilliseconds: Int) -> Bool {
        if phase == .stopped { return false }
        poller.removeAll()
        _ = poller.add(fileDescriptor: server.wakeFD, events: .readable)
        _ = poller.add(router, events: .readable)
        let zapIndex = zap.map { poller.add($0, events: .readable) }
        let monitorIndex = monitor.map { poller.add($0.socket, events: .readable) }
        let timeout = waitMilliseconds == 0 || needsDispatch || !outgoing.isEmpty ? 0 : isWatchingForSlowRequests ? 2 : 100
        _ = try? poller.poll(milliseconds: timeout)
        if poller.returnedEvents(at: 0).contains(.readable) { server.clearWakeups() }
        // Taken every turn, not only when woken: the executor wakes a thread that polls, and
        // work queued between two polls is found here.
        let work = server.takeWork()
        for request in work.requests { request(self) }
        for message in work.messages { send(message) }
        if poller.returnedEvents(at: 1).contains(.readable) { drainRouter() }
        if let zap, let zapIndex, poller.returnedEvents(at: zapIndex).contains(.readable) { answerZAP(zap) }
        if let monitor, let monitorIndex, poller.returnedEvents(at: monitorIndex).contains(.readable) { noteFailedHandshakes(monitor) }
        tick(now: ContinuousClock.now)
        dispatchIfNeeded()
        flushOutgoing()
        if phase == .stopped {
            closeSockets()
            return false
        }
        return true
    }

    /// Sends what is ready to leave.
    func flush() {
        flushOutgoing()
    }

    /// Closes the sockets, takes the supervisor's share out of the level metrics, and tells
    /// the server the loop has stopped (its last status, and the waiters of `wait()`).
    private func closeSockets() {
        queuedLevel.set(0)
        runningLevel.set(0)
        workersLevel.set(0)
        monitor?.close()
        router.close()
        zap?.close()
        // libzmq leaves an ipc socket's file behind.
        if let path = BrokerServer.socketPath(of: server.endpoint) { unlink(path) }
        server.markStopped(with: makeStatus(), loop: self)
        server.markFinished()
        logger.info("supervisor stopped")
    }

    // MARK: Receiving

    private func drainRouter() {
        for _ in 0..<1024 {
            guard let frames = (try? router.receiveMultipart(dontWait: true)) ?? nil else { return }
            guard frames.count >= 2 else { continue }
            let identity = PeerID(frames[0].bytes)
            // libzmq attaches the peer's metadata to content frames, not to the routing id.
            let address = frames[1].property("Peer-Address") ?? "unknown"
            // With CURVE, the ZAP handler made the client's key its User-Id.
            let roles = allowList.map { list in frames[1].property("User-Id").flatMap { list.roles(of: $0) } ?? [] } ?? .all
            handle(Array(frames.dropFirst()), from: identity, address: address, roles: roles)
            // Every few hundred messages, hand out what came in, so that workers never wait
            // for a long drain to end.
            if needsDispatch && queuedCount >= 256 {
                dispatchIfNeeded()
                flushOutgoing()
            }
        }
    }

    private var queuedCount: Int { queues.values.reduce(0) { $0 + $1.count } }

    private func handle(_ frames: [Message], from identity: PeerID, address: String, roles: KeyRoles) {
        let first = frames[0]
        if first.withUnsafeBytes({ SupervisorCommand.isSignature($0) }) {
            do {
                // The version first: another version may have another number of frames.
                try first.withUnsafeBytes { try SupervisorCommand.checkSignature($0) }
                // One command; or, from a peer that sent BATCH, a header and a payload for each.
                guard let count = SupervisorCommand.commandCount(frames: frames.count, batches: batching.contains(identity)) else {
                    throw WireError(.malformed, batching.contains(identity)
                        ? "a Protocol 2 message has a signature and a header and payload frame per command (at most \(SupervisorCommand.commandLimit)), not \(frames.count) frames"
                        : "a Protocol 2 message has 3 frames, not \(frames.count) (several commands in one only after BATCH)")
                }
                if count == 1 {
                    let command = try frames[1].withUnsafeBytes { try SupervisorCommand(header: $0) }
                    handle(command, payload: frames[2].bytes, from: identity, address: address, roles: roles)
                    return
                }
                // Every header is read first: a message with a bad one is rejected whole.
                var commands: [SupervisorCommand] = []
                commands.reserveCapacity(count)
                for index in 0..<count {
                    commands.append(try frames[1 + 2 * index].withUnsafeBytes { try SupervisorCommand(header: $0) })
                }
                for (index, command) in commands.enumerated() {
                    handle(command, payload: frames[2 + 2 * index].bytes, from: identity, address: address, roles: roles)
                }
            } catch let error as WireError {
                reject(error, to: identity)
            } catch {}
            return
        }
        // Protocol 1 on the supervisor's socket: shared-state operations only.
        do {
            guard frames.count == 2 else { throw WireError(.malformed, "expected 2 frames (signature, body), got \(frames.count)") }
            try first.withUnsafeBytes { try Signature.check($0) }
            let envelopes = try frames[1].withUnsafeBytes { try EnvelopeDecoder().decode(body: $0) }
            for envelope in envelopes { handle(envelope, from: identity, roles: roles) }
        } catch let error as WireError {
            reject(error, to: identity)
        } catch {}
    }

    private func handle(_ envelope: Envelope, from identity: PeerID, roles: KeyRoles) {
        clients[identity] = ContinuousClock.now
        if case .state = envelope { working.insert(identity) }
        switch envelope {
        case .state(let operation) where roles.isDisjoint(with: [.client, .worker]):
            refused("shared state", to: identity)
            reply(envelope: .throw(Envelope.Throw(failure: TroupeError(
                .unauthorized, "this key may not use shared state: put its .pub in the supervisor's --allow-clients or --allow-workers folder"),
                callID: operation.callID)), to: identity)
        case .state(let operation):
            let arguments: [MessagePackValue]
            do {
                arguments = try operation.arguments.map { bytes throws(WireError) in try MessagePackValue(decoding: bytes) }
            } catch {
                reply(envelope: .throw(Envelope.Throw(failure: TroupeError(.badArguments, "\(error)"), callID: operation.callID)), to: identity)
                return
            }
            let server = self.server
            let node = String(decoding: identity.bytes, as: UTF8.self)
            store.perform(operation.operation, on: operation.container, arguments: arguments, node: node) { result in
                var body = EnvelopeWriter()
                switch result {
                case .success(let value): body.append(.return(Envelope.Return(callID: operation.callID, value: value.encoded)))
                case .failure(let error): body.append(.throw(Envelope.Throw(failure: error, callID: operation.callID)))
                }
                // Sent from the supervisor's thread, which sees whether the peer is still there:
                // an element or a lock handed to a vanished waiter is taken back.
                let frames = [identity.bytes, Signature.bytes, body.bytes]
                server.perform { loop in
                    if !loop.send(frames) {
                        loop.store.takeBack(result, of: operation.operation, on: operation.container, arguments: arguments, node: node)
                    }
                }
            }
        case .call(let call):
            reply(envelope: .throw(Envelope.Throw(
                failure: TroupeError(.unknownActor, "the supervisor hosts no actors: send work as a Protocol 2 REQUEST"), callID: call.callID)), to: identity)
        case .heartbeat, .return, .throw, .ready, .cancel, .withdraw, .disconnect, .goodbye, .reject:
            break
        }
    }

    private func handle(_ command: SupervisorCommand, payload: [UInt8], from identity: PeerID, address: String, roles: KeyRoles) {
        let now = ContinuousClock.now
        if let needed = Self.role(needed: command), !roles.contains(needed) {
            refuse(command, lacking: needed, to: identity)
            return
        }
        // In place: a copy of the entry would copy what it holds.
        if let index = workers.index(forKey: identity) {
            workers.values[index].lastHeard = now
            if workers.values[index].address == "unknown" && address != "unknown" { workers.values[index].address = address }
        }
        switch command {
        case .ready(let node, let pid, let services, let host):
            lostWorkers.remove(identity)
            // One registration per node: a READY again (from the same connection while busy,
            // or from a new one) replaces the old, whose request is retried or failed.
            if let entry = workers[identity], !entry.held.isEmpty {
                workerGone(identity, reason: "registered again (READY) while it ran the request")
            }
            var rejoined = false
            for (other, entry) in workers where other != identity && entry.node == node {
                workerGone(other, reason: "reconnected from a new connection")
                // If that connection is in fact the live one, its next message re-registers it.
                lostWorkers.insert(other)
                rejoined = true
            }
            var entry = WorkerEntry(node: node, pid: pid, host: host, address: address, services: services, lastHeard: now)
            if let (place, isRestart) = replacements.joined(identity, node: node, host: host, at: now) {
                entry.restarts = place.restarts
                entry.lastExit = place.lastExit
                if isRestart { metrics.workerRestarted() }
            }
            workers[identity] = entry
            logger.info(rejoined ? "worker rejoined" : "worker joined",
                        metadata: ["troupe.node": "\(node)", "troupe.host": "\(host)", "troupe.services": "\(services)"])
            if phase == .closing && queues.values.allSatisfy(\.isEmpty) {
                send(identity, .disconnect(reason: "the supervisor is stopping"))
            } else {
                // At once, so that a worker back from an outage knows it is heard before its
                // next reconnection would make it register again from a new connection.
                send(identity, .heartbeat)
            }
            dispatch()
        case .heartbeat where lostWorkers.contains(identity):
            lostWorkers.remove(identity)
            send(identity, .disconnect(reason: BrokerLink.reregisterReason))
        case .heartbeat:
            if workers.index(forKey: identity) == nil {
                clients[identity] = now
                send(identity, .heartbeat)
            }
        case .request(let id, let service, let flags):
            clients[identity] = now
            working.insert(identity)
            metrics.taskSubmitted()
            guard phase == .running else {
                noteFailure(TroupeError.Code.closed.rawValue, since: nil)
                send(identity, .error(id: id, code: TroupeError.Code.closed.rawValue, message: "the supervisor is stopping and takes no new work"))
                return
            }
            guard !isOutstanding(client: identity, id: id) else {
                reject(WireError(.malformed, "request id \(id) is already outstanding on this connection; the first one stands"), to: identity)
                return
            }
            // Reserved bits are not passed on: a worker sees only the flags this version defines.
            queues[service, default: []].append(Request(client: identity, clientID: id, service: service,
                                                        flags: flags & SupervisorCommand.retryableFlag, payload: payload))
            outstanding.insert(ClientKey(client: identity, id: id))
            dispatch()
        case .reply(let id, let final):
            guard let index = workers.index(forKey: identity) else {
                send(identity, .disconnect(reason: BrokerLink.reregisterReason))
                return
            }
            guard let request = running[id], request.worker == identity else {
                // A late reply (its request was given up when the worker was lost), or a reply
                // for a request this worker does not hold.
                rejected["unknownRequest", default: 0] += 1
                metrics.messageRejected(code: "unknownRequest")
                return
            }
            send(request.request.client, .reply(id: request.request.clientID, final: final), payload: payload)
            // A reply also says the request started.
            if !request.started { running[id]?.started = true }
            if final {
                running[id] = nil
                runningByClient[ClientKey(client: request.request.client, id: request.request.clientID)] = nil
                outstanding.remove(ClientKey(client: request.request.client, id: request.request.clientID))
                // In place: a copy of the entry would copy its list of held requests.
                workers.values[index].finished(id)
                completed += 1
                noteFinal(payload, since: request.request.received, at: now)
                dispatch()
                finishStopIfDone()
            }
        case .credit(let asked):
            guard workers[identity] != nil else {
                send(identity, .disconnect(reason: BrokerLink.reregisterReason))
                return
            }
            let granted = Int(clamping: min(max(asked, 1), UInt64(server.configuration.maxCredit)))
            workers[identity]?.credit = granted
            // The requests handed from now on have started only once the worker says so; the
            // one it may already hold was handed as to a worker without credit (started).
            workers[identity]?.reportsStarts = true
            send(identity, .credit(UInt64(granted)))
            dispatch()
        case .started(let ids):
            // By index: a copy of the entry to test it would copy what it holds.
            guard let index = workers.index(forKey: identity) else {
                send(identity, .disconnect(reason: BrokerLink.reregisterReason))
                return
            }
            for id in ids where running[id]?.worker == identity {
                running[id]?.started = true
                workers.values[index].current = (id, now)
            }
        case .withdrawn(let ids):
            guard var entry = workers[identity] else {
                send(identity, .disconnect(reason: BrokerLink.reregisterReason))
                return
            }
            // Given back unstarted: first in line again, in their order, with no retry counted.
            var back: [Request] = []
            for id in ids {
                guard let taken = running[id], taken.worker == identity, !taken.started else { continue }
                running[id] = nil
                runningByClient[ClientKey(client: taken.request.client, id: taken.request.clientID)] = nil
                if let index = entry.held.firstIndex(of: id) { entry.held.remove(at: index) }
                back.append(taken.request)
            }
            workers[identity] = entry
            requeueAtFront(back)
        case .cancel(let clientID):
            let key = ClientKey(client: identity, id: clientID)
            if let brokerID = runningByClient[key], let worker = running[brokerID]?.worker {
                send(worker, .cancel(id: brokerID))
            } else {
                for service in queues.keys {
                    if let index = queues[service]?.firstIndex(where: { $0.client == identity && $0.clientID == clientID }) {
                        let cancelled = queues[service]!.remove(at: index)
                        outstanding.remove(key)
                        noteFailure(TroupeError.Code.cancelled.rawValue, since: cancelled.received)
                        send(identity, .error(id: clientID, code: TroupeError.Code.cancelled.rawValue, message: "the request was cancelled before it started"))
                    }
                }
            }
        case .disconnect(let reason):
            if workers[identity] != nil {
                logger.info("worker left", metadata: ["troupe.node": "\(workers[identity]!.node)", "troupe.reason": "\(reason)"])
                workerGone(identity, reason: "left the supervisor (\(reason))")
            } else if clients[identity] != nil {
                forgetClient(identity, because: "left (\(reason))")
            }
            finishStopIfDone()
        case .batch:
            // Answered before anything else leaves for the peer in several-command messages;
            // answered again when a peer introduces itself again on the same connection (a
            // worker told to send READY again), which waits for the answer before it batches.
            if !batching.contains(identity) { flushOutgoing(to: identity) }
            send(identity, .batch)
            batching.insert(identity)
            if workers.index(forKey: identity) == nil { clients[identity] = now }
        case .statusQuery(let id):
            clients[identity] = now
            let payload = (try? MessagePackEncoder().encode(makeStatus())) ?? []
            send(identity, .status(id: id), payload: payload)
        case .stop(let id, let now):
            logger.info("stop requested", metadata: ["troupe.now": "\(now)"])
            beginStop(now: now, requester: (identity, id))
        case .error, .status, .done, .withdraw:
            reject(WireError(.unknownKind, "the supervisor does not take this command"), to: identity)
        }
    }

    /// Counts a rejected message and answers it with a REJECT, at most
    /// ``rejectsPerWindow`` in each ``rejectWindow`` (whoever the peers): a flood of bad
    /// input gets a few answers and a few log lines, not one each.
    private func reject(_ error: WireError, to identity: PeerID) {
        rejected[error.code.rawValue, default: 0] += 1
        metrics.messageRejected(code: error.code.rawValue)
        let now = ContinuousClock.now
        if now - rejectWindowStart >= Self.rejectWindow {
            rejectWindowStart = now
            rejectsInWindow = 0
        }
        rejectsInWindow += 1
        guard rejectsInWindow <= Self.rejectsPerWindow else { return }
        if rejectsInWindow == 1 {
            logger.warning("rejected a malformed message", metadata: ["troupe.error": "\(error.code)",
                                                                      "troupe.rejected": "\(rejected.values.reduce(0, +))"])
        }
        reply(envelope: .reject(Envelope.Reject(error)), to: identity)
    }

    /// At most this many REJECTs in each ``rejectWindow``, as Protocol 1 asks of every peer.
    static let rejectsPerWindow = 8
    /// The window of the REJECT rate limit.
    static let rejectWindow = Duration.milliseconds(50)

    // MARK: Roles

    /// The role a command needs from the sender's key, if any.
    private static func role(needed command: SupervisorCommand) -> KeyRoles? {
        switch command {
        case .ready, .reply, .credit, .started, .withdrawn: return .worker
        case .request, .cancel: return .client
        case .stop: return .stop
        case .heartbeat, .disconnect, .statusQuery, .error, .status, .done, .withdraw, .batch: return nil
        }
    }

    /// Answers a command the sender's key may not send.
    private func refuse(_ command: SupervisorCommand, lacking role: KeyRoles, to identity: PeerID) {
        let folder = role == .worker ? "--allow-workers" : role == .client ? "--allow-clients" : "--allow-stop"
        switch command {
        case .ready:
            refused("serving", to: identity)
            send(identity, .disconnect(reason: "\(BrokerLink.unauthorizedReasonPrefix) this key may not serve: put its .pub in the supervisor's \(folder) folder"))
        case .request(let id, _, _):
            refused("submitting work", to: identity)
            send(identity, .error(id: id, code: TroupeError.Code.unauthorized.rawValue,
                                  message: "this key may not submit work: put its .pub in the supervisor's \(folder) folder"))
        case .stop(let id, _):
            refused("stopping", to: identity)
            send(identity, .error(id: id, code: TroupeError.Code.unauthorized.rawValue,
                                  message: "this key may not stop the deployment: put its .pub in the supervisor's \(folder) folder"))
        case .reply, .credit, .started, .withdrawn:
            send(identity, .disconnect(reason: BrokerLink.reregisterReason))
        default:
            break
        }
    }

    /// Counts and logs a command refused for want of a role.
    private func refused(_ what: String, to identity: PeerID) {
        rejected[TroupeError.Code.unauthorized.rawValue, default: 0] += 1
        logger.warning("refused a command: the key lacks the role", metadata: ["troupe.command": "\(what)",
                                                                               "troupe.peer": "\(String(decoding: identity.bytes, as: UTF8.self))"])
    }

    /// Whether `client` has a request with its id `id` queued or running.
    private func isOutstanding(client: PeerID, id: UInt64) -> Bool {
        outstanding.contains(ClientKey(client: client, id: id))
    }

    // MARK: Routing

    /// Asks for queued requests to be handed to workers at the end of this turn.
    private func dispatch() {
        needsDispatch = true
    }

    private func dispatchIfNeeded() {
        guard needsDispatch else { return }
        needsDispatch = false
        handOut()
    }

    /// Hands queued requests to the workers of their service that have credit left, one at a
    /// time to the least loaded first (so that work spreads over the workers), until the queues
    /// are empty or every worker is full. The requests one worker gets in one hand-out leave
    /// back to back, and travel together.
    private func handOut() {
        guard !queues.isEmpty else { return }
        // Read in place: a copy of an entry would copy what it holds.
        var candidates = workers.indices.filter { workers.values[$0].acceptsWork }
            .sorted { workers.values[$0].held.count < workers.values[$1].held.count }.map { workers.keys[$0] }
        while !candidates.isEmpty && !queues.isEmpty {
            var next: [PeerID] = []
            for identity in candidates {
                guard let index = workers.index(forKey: identity), workers.values[index].acceptsWork,
                      handOne(to: identity, at: index) else { continue }
                if workers[identity]?.acceptsWork == true { next.append(identity) }
            }
            candidates = next
        }
    }

    /// Hands `identity` the first queued request of the first of its services that has one.
    /// - Returns: false when none of its services has queued work, or its connection is gone.
    private func handOne(to identity: PeerID, at index: Dictionary<PeerID, WorkerEntry>.Index) -> Bool {
        let reportsStarts = workers.values[index].reportsStarts
        for service in workers.values[index].services {
            // Popped in place: a copy of the queue would cost its length per request.
            guard let request = queues[service]?.popFirst() else { continue }
            if queues[service]?.isEmpty == true { queues[service] = nil }
            lastRequestID += 1
            let id = lastRequestID
            running[id] = Running(request: request, worker: identity, started: !reportsStarts)
            runningByClient[ClientKey(client: request.client, id: request.clientID)] = id
            workers.values[index].held.append(id)
            // To a worker that sent BATCH, it leaves at the end of the turn with the others it
            // gets; a connection found gone then takes them back (`connectionGone`).
            if !send(identity, .request(id: id, service: service, flags: request.flags), payload: request.payload, handing: id) {
                connectionGone(identity, handed: [id])
                return false
            }
            return true
        }
        return false
    }

    /// Forgets a worker whose connection was found gone when requests were sent to it: those
    /// requests never reached it, and go back first in line, uncounted, for another worker.
    private func connectionGone(_ identity: PeerID, handed: [UInt64]) {
        batching.remove(identity)
        guard let entry = workers[identity] else { return }
        var back: [Request] = []
        for id in handed {
            guard let lost = running[id], lost.worker == identity else { continue }
            running[id] = nil
            runningByClient[ClientKey(client: lost.request.client, id: lost.request.clientID)] = nil
            workers[identity]?.held.removeAll { $0 == id }
            back.append(lost.request)
        }
        requeueAtFront(back)
        logger.info("worker gone: its connection closed", metadata: ["troupe.node": "\(entry.node)"])
        recordLoss(identity, entry, exit: "pid \(entry.pid) lost (its connection closed)")
        workerGone(identity, reason: "closed its connection")
    }

    /// Puts requests that did not start back at the head of their queues, in their order.
    private func requeueAtFront(_ requests: [Request]) {
        guard !requests.isEmpty else { return }
        for request in requests.reversed() { queues[request.service, default: []].prepend(request) }
        dispatch()
    }

    /// Forgets a worker that left or was lost. Of the requests it held, the ones it had not
    /// started go back to the head of their queues as they were (not failed, no retry
    /// counted); one it had started is retried, if retryable, or failed with `workerLost`.
    private func workerGone(_ identity: PeerID, reason: String) {
        guard let entry = workers.removeValue(forKey: identity) else { return }
        replacements.forget(identity, host: entry.host)
        store.release(node: String(decoding: identity.bytes, as: UTF8.self))
        var notStarted: [Request] = []
        var retried: [Request] = []
        for id in entry.held {
            guard let lost = running.removeValue(forKey: id) else { continue }
            runningByClient[ClientKey(client: lost.request.client, id: lost.request.clientID)] = nil
            var request = lost.request
            // The oldest request a worker holds counts as started even unreported: a worker
            // runs its requests in order, and may have begun it before its STARTED could leave.
            if !lost.started && id != entry.held.first {
                notStarted.append(request)
            } else if request.flags & SupervisorCommand.retryableFlag != 0 && request.attempts < server.configuration.maxRetries && phase == .running {
                request.attempts += 1
                retried.append(request)
            } else {
                outstanding.remove(ClientKey(client: request.client, id: request.clientID))
                noteFailure(TroupeError.Code.workerLost.rawValue, since: request.received)
                send(request.client, .error(id: request.clientID, code: TroupeError.Code.workerLost.rawValue,
                                            message: "worker \(entry.node) on \(entry.host) \(reason) while it ran the request"))
            }
        }
        // The retried ones had started before the others: they go first.
        requeueAtFront(retried + notStarted)
    }

    // MARK: Taking work back from a slow worker

    /// Whether some worker holds requests behind one it has started, so that ticks must come
    /// often enough to see it run long.
    private var isWatchingForSlowRequests: Bool {
        workers.values.contains { $0.current != nil && $0.held.count > 1 && !$0.slow }
    }

    /// Takes back the requests waiting in a worker behind one that has run longer than
    /// ``BrokerConfiguration/slowRequestLimit``, when another worker of their service
    /// would start them sooner (it holds at most one request): the worker is asked to give
    /// back those it has not started (WITHDRAW), and gets no more work until a request of its
    /// own finishes. What it gives back (WITHDRAWN) goes to the head of the queue.
    private func takeBackFromSlowWorkers(now: ContinuousClock.Instant) {
        let limit = server.configuration.slowRequestLimit
        for (identity, entry) in workers where !entry.slow && entry.held.count > 1 {
            guard let current = entry.current, now - current.since >= limit else { continue }
            let behind = entry.held.dropFirst().filter { running[$0]?.started == false }
            guard !behind.isEmpty else { continue }
            let services = Set(entry.services)
            guard workers.contains(where: { other in
                other.key != identity && !other.value.slow && other.value.held.count <= 1 && !services.isDisjoint(with: other.value.services)
            }) else { continue }
            workers[identity]?.slow = true
            logger.debug("taking back requests from a slow worker", metadata: ["troupe.node": "\(entry.node)", "troupe.count": "\(behind.count)"])
            send(identity, .withdraw(ids: Array(behind)))
        }
    }

    // MARK: Liveness

    /// Counts a worker lost (silent, or its connection gone) and hands its restarts and exit
    /// to the worker that took its place on its host, if one has joined since.
    private func recordLoss(_ identity: PeerID, _ entry: WorkerEntry, exit: String) {
        workersLost += 1
        metrics.workerLost()
        lostWorkers.insert(identity)
        if let (successor, place) = replacements.lost(identity, node: entry.node, host: entry.host, restarts: entry.restarts,
                                                      exit: exit, lastHeard: entry.lastHeard) {
            workers[successor]?.restarts = place.restarts
            workers[successor]?.lastExit = place.lastExit
            metrics.workerRestarted()
        }
    }

    private func tick(now: ContinuousClock.Instant) {
        let limit = interval * server.configuration.liveness
        if now - lastTick > interval * 2 {
            // This process did not run (SIGSTOP, a starved machine): its peers' silence is its
            // own, and what they sent meanwhile is still to be read. Each gets a fresh window.
            for identity in workers.keys { workers[identity]?.lastHeard = now }
            for identity in clients.keys { clients[identity] = now }
        }
        lastTick = now
        for (identity, entry) in workers where now - entry.lastHeard > limit {
            recordLoss(identity, entry, exit: "pid \(entry.pid) lost (missed \(server.configuration.liveness) heartbeats)")
            logger.warning("worker lost: no heartbeat", metadata: ["troupe.node": "\(entry.node)", "troupe.host": "\(entry.host)"])
            workerGone(identity, reason: "missed \(server.configuration.liveness) heartbeats")
            finishStopIfDone()
        }
        for (identity, heard) in clients where now - heard > limit {
            // A client that has sent work or shared-state operations must heartbeat, as a
            // worker does; one that only watches is forgotten after 10 times as long.
            let isWorking = working.contains(identity)
            guard isWorking || now - heard > limit * 10 else { continue }
            forgetClient(identity, because: isWorking ? "missed \(server.configuration.liveness) heartbeats" : "silent")
        }
        if now - lastHeartbeat >= interval {
            lastHeartbeat = now
            for identity in workers.keys { send(identity, .heartbeat) }
            for identity in clients.keys { send(identity, .heartbeat) }
        }
        takeBackFromSlowWorkers(now: now)
        if let deadline = stopDeadline, now >= deadline { finish() }
        queuedLevel.set(queuedCount)
        runningLevel.set(running.count)
        workersLevel.set(workers.count)
    }

    // MARK: Outcomes

    /// Counts a final REPLY: a result, or a failure when the worker sent a THROW.
    private func noteFinal(_ payload: [UInt8], since received: ContinuousClock.Instant, at now: ContinuousClock.Instant) {
        activity.recordCompleted(at: now)
        if let code = Self.thrownCode(payload) {
            noteFailure(code, since: received, countedAsDone: true)
        } else {
            metrics.taskCompleted(after: now - received)
        }
    }

    /// Counts a request that ended in an error of `code`; `received` is nil when it never queued.
    private func noteFailure(_ code: String, since received: ContinuousClock.Instant?, countedAsDone: Bool = false) {
        let now = ContinuousClock.now
        let key = failed[code] != nil || failed.count < TaskActivity.codeLimit ? code : "other"
        failed[key, default: 0] += 1
        activity.recordFailed(code: code, at: now)
        metrics.taskFailed(code: key, after: received.map { now - $0 })
    }

    /// The code of the THROW a REPLY's payload holds, or nil for anything else. Only a THROW
    /// is decoded: results stay opaque to the supervisor.
    private static func thrownCode(_ payload: [UInt8]) -> String? {
        // An envelope is an array whose first element is its kind: a THROW starts 97 03.
        guard payload.count >= 2, payload[0] == 0x90 | UInt8(Envelope.Kind.throw.arity),
              payload[1] == Envelope.Kind.throw.rawValue else { return nil }
        guard case .throw(let failure)? = try? EnvelopeDecoder().decode(body: payload).first else { return nil }
        return failure.code.rawValue
    }

    /// Forgets a client: frees its locks and waits, and fails its queued requests (there is
    /// no one to answer). Requests already running finish; their replies are dropped.
    private func forgetClient(_ identity: PeerID, because reason: String) {
        clients[identity] = nil
        working.remove(identity)
        batching.remove(identity)
        outgoing[identity] = nil
        let node = String(decoding: identity.bytes, as: UTF8.self)
        if store.isInvolved(node: node) {
            logger.info("client gone: its locks and waits are released", metadata: ["troupe.client": "\(node)", "troupe.reason": "\(reason)"])
        }
        store.release(node: node)
        for service in Array(queues.keys) {
            queues[service]?.removeAll { $0.client == identity }
            if queues[service]?.isEmpty == true { queues[service] = nil }
        }
        outstanding = outstanding.filter { $0.client != identity }
        finishStopIfDone()
    }

    // MARK: Stopping

    func beginStop(now: Bool, requester: (client: PeerID, id: UInt64)?) {
        if let requester {
            // Already on the way out: confirm at once.
            if stopDeadline != nil {
                send(requester.client, .done(id: requester.id))
                return
            }
            stopRequesters.append(requester)
        }
        if phase == .running { phase = .closing }
        if now {
            for (_, queue) in queues {
                for request in queue {
                    noteFailure(TroupeError.Code.terminated.rawValue, since: request.received)
                    send(request.client, .error(id: request.clientID, code: TroupeError.Code.terminated.rawValue, message: "the supervisor was stopped before the request ran"))
                }
            }
            queues.removeAll()
            for (_, lost) in running {
                noteFailure(TroupeError.Code.terminated.rawValue, since: lost.request.received)
                send(lost.request.client, .error(id: lost.request.clientID, code: TroupeError.Code.terminated.rawValue, message: "the supervisor was stopped while the request ran"))
            }
            running.removeAll()
            runningByClient.removeAll()
            outstanding.removeAll()
            for identity in workers.keys {
                workers[identity]?.held = []
                workers[identity]?.current = nil
                workers[identity]?.slow = false
            }
        }
        finishStopIfDone()
    }

    /// Once closing and idle: tells every worker to leave, then stops shortly after.
    private func finishStopIfDone() {
        guard phase == .closing, stopDeadline == nil else { return }
        // Work for a service that no worker serves would wait for ever: it ends now.
        for service in Array(queues.keys) where !workers.values.contains(where: { $0.services.contains(service) }) {
            for request in queues.removeValue(forKey: service) ?? [] {
                outstanding.remove(ClientKey(client: request.client, id: request.clientID))
                send(request.client, .error(id: request.clientID, code: TroupeError.Code.terminated.rawValue,
                                            message: "the supervisor is stopping and no worker serves \(service): the request did not run"))
            }
        }
        guard running.isEmpty, queues.values.allSatisfy(\.isEmpty) else { return }
        for identity in workers.keys { send(identity, .disconnect(reason: "the supervisor is stopping")) }
        for requester in stopRequesters { send(requester.client, .done(id: requester.id)) }
        // Leave time for the DISCONNECTs and DONE to leave before the socket closes.
        stopDeadline = ContinuousClock.now + .milliseconds(300)
    }

    private func finish() {
        phase = .stopped
    }

    // MARK: Security

    /// Answers a ZAP request (RFC 27): admits a CURVE key in the allow-list, refuses others.
    private func answerZAP(_ zap: Socket) {
        guard let frames = (try? zap.receiveMultipart(dontWait: true)) ?? nil, frames.count >= 6 else { return }
        let version = frames[0].bytes
        let requestID = frames[1].bytes
        let address = frames[3].string
        let mechanism = frames[5].string
        var key: String? = nil
        if mechanism == "CURVE", frames.count >= 7, frames[6].count == 32 {
            key = try? Curve.z85Encode(frames[6].bytes)
        }
        let allowed = key.map { allowList?.roles(of: $0) != nil } ?? false
        if !allowed {
            unauthorized += 1
            refusedKeys.insert(key ?? "")
            metrics.handshakeRefused(reason: "keyNotAllowed")
            logger.warning("refused a connection", metadata: ["troupe.address": "\(address)", "troupe.mechanism": "\(mechanism)",
                                                              "troupe.key": "\(key ?? "none")"])
        }
        let status: [UInt8] = Array((allowed ? "200" : "400").utf8)
        let text: [UInt8] = Array((allowed ? "OK" : "key not allowed").utf8)
        let user: [UInt8] = Array((key ?? "").utf8)
        _ = try? zap.send(multipart: [version, requestID, status, text, user, []])
    }

    /// Counts and logs connections whose security handshake failed before ZAP was asked: a
    /// plaintext peer (mechanism mismatch) or a client with the wrong server key.
    private func noteFailedHandshakes(_ monitor: SocketMonitor) {
        while let event = (try? monitor.receive(dontWait: true)) ?? nil {
            unauthorized += 1
            metrics.handshakeRefused(reason: "handshakeFailed")
            // A refused peer retries: log a line a second at most per kind of failure.
            let now = ContinuousClock.now
            guard lastHandshakeLog[event.value].map({ now - $0 >= .seconds(1) }) ?? true else { continue }
            lastHandshakeLog[event.value] = now
            // A CURVE peer with the wrong server key fails the crypto (ZMTP_CRYPTOGRAPHIC); a
            // plaintext peer fails with a mechanism mismatch, or with no detail at all.
            let plaintext = !(event.kind == .handshakeFailedProtocol && event.value == 0x1100_0001)
            logger.warning("refused a connection: security handshake failed",
                           metadata: ["troupe.mechanism": "\(plaintext ? "NULL" : "CURVE")", "troupe.event": "\(event.kind)",
                                      "troupe.detail": "\(String(event.value, radix: 16))", "troupe.refused": "\(unauthorized)"])
        }
    }

    // MARK: Sending

    /// Sends a Protocol 2 message.
    /// - Returns: false when the peer's connection is gone (the message was not sent).
    /// To a peer that sent BATCH, the command waits for the end of the turn and leaves with the
    /// others for that peer, in one message (up to `SupervisorCommand.commandLimit`).
    /// - Parameter handing: the supervisor's id of the request a REQUEST hands over.
    @discardableResult
    private func send(_ identity: PeerID, _ command: SupervisorCommand, payload: [UInt8] = [], handing: UInt64? = nil) -> Bool {
        guard batching.contains(identity) else {
            return send([identity.bytes, SupervisorCommand.signature, command.header, payload])
        }
        let full = { (entry: inout Outgoing) -> Bool in
            entry.frames.append(command.header)
            entry.frames.append(payload)
            entry.commands += 1
            if let handing { entry.handed.append(handing) }
            return entry.commands >= SupervisorCommand.commandLimit
        }(&outgoing[identity, default: Outgoing(frames: [identity.bytes, SupervisorCommand.signature])])
        if full { flushOutgoing(to: identity) }
        return true
    }

    /// Sends every peer the commands waiting for it.
    private func flushOutgoing() {
        guard !outgoing.isEmpty else { return }
        let waiting = outgoing
        outgoing.removeAll(keepingCapacity: true)
        for (identity, entry) in waiting { transmit(entry, to: identity) }
    }

    /// Sends `identity` the commands waiting for it, if any.
    private func flushOutgoing(to identity: PeerID) {
        guard let entry = outgoing.removeValue(forKey: identity) else { return }
        transmit(entry, to: identity)
    }

    private func transmit(_ entry: Outgoing, to identity: PeerID) {
        if !send(entry.frames), !entry.handed.isEmpty {
            connectionGone(identity, handed: entry.handed)
        }
    }

    private func reply(envelope: Envelope, to identity: PeerID) {
        var body = EnvelopeWriter()
        body.append(envelope)
        send([identity.bytes, Signature.bytes, body.bytes])
    }

    /// Sends a message (its frames, the routing id first).
    /// - Returns: false when the peer's connection is gone (`ZMQ_ROUTER_MANDATORY`): the
    ///   message was not sent, and the peer never sees it.
    @discardableResult
    private func send(_ frames: [[UInt8]]) -> Bool {
        // After the commands already waiting for the peer.
        if !outgoing.isEmpty, let identity = frames.first { flushOutgoing(to: PeerID(identity)) }
        do {
            _ = try router.send(multipart: frames, dontWait: true)
            return true
        } catch let error as ZMQError where error.isHostUnreachable {
            // The peer has gone; a worker's heartbeat silence, or a client's, says the rest.
            return false
        } catch {
            logger.error("send failed", metadata: ["troupe.error": "\(error)"])
            return true
        }
    }

    // MARK: Status

    func makeStatus() -> BrokerStatus {
        let now = ContinuousClock.now
        return BrokerStatus(
            endpoint: server.endpoint,
            phase: phase.rawValue,
            secure: zap != nil,
            workers: workers.values.sorted { ($0.host, $0.node) < ($1.host, $1.node) }.map { entry in
                BrokerStatus.Worker(
                    node: entry.node, pid: entry.pid, host: entry.host, address: entry.address, services: entry.services,
                    state: entry.held.isEmpty ? "idle" : "busy", tasksDone: entry.tasksDone,
                    lastHeardMilliseconds: Int((now - entry.lastHeard).components.seconds * 1000
                                               + (now - entry.lastHeard).components.attoseconds / 1_000_000_000_000_000),
                    restarts: entry.restarts, lastExit: entry.lastExit,
                    residentBytes: entry.host == hostName ? ResidentMemory.bytes(of: entry.pid) : nil,
                    credit: entry.credit, prefetched: entry.held.filter { running[$0]?.started == false }.count)
            },
            queued: queues.mapValues(\.count).filter { $0.value > 0 },
            running: running.values.filter(\.started).count,
            completed: completed,
            clients: working.count,
            workersLost: workersLost,
            rejected: rejected,
            unauthorized: unauthorized,
            refusedKeys: refusedKeys.count,
            tasksPerSecond: activity.tasksPerSecond(at: now),
            failed: failed,
            activity: activity.intervals(at: now),
            containers: store.containerSizes(),
            prefetched: running.values.filter { !$0.started }.count)
    }
}
