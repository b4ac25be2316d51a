import Distributed
import Logging
import Synchronization
import TroupeWire
import ZeroMQ

/// The distributed actor system of Troupe: remote calls travel as ZeroMQ messages between
/// processes, and each process's mailbox is a set of ZeroMQ sockets owned by one thread.
///
/// You rarely touch it: ``Troupe/bootstrap(workers:handleSignals:)`` creates the one a worker process
/// serves, and a ``Pool`` or ``ActorProcess`` uses the parent's ``local()`` system.
public final class TroupeActorSystem: DistributedActorSystem, Sendable {
    /// An actor's identity: its node, its number there, and the node's endpoint.
    public typealias ActorID = TroupeActorID
    /// Records an outgoing call's arguments as MessagePack.
    public typealias InvocationEncoder = TroupeInvocationEncoder
    /// Decodes an incoming call's arguments.
    public typealias InvocationDecoder = TroupeInvocationDecoder
    /// Sends an incoming call's outcome back to its caller.
    public typealias ResultHandler = TroupeResultHandler
    /// What every argument and result of a distributed function must be: `Codable`.
    public typealias SerializationRequirement = any Codable

    /// This process's node name, unique among the processes that talk to each other.
    public let node: String
    /// The endpoint this process accepts connections on, if it binds one.
    public let endpoint: String?

    let logger: Logger
    let counters = SystemCounters()
    /// The largest message this system sends or accepts; a larger one is refused with a
    /// clear error before it is sent, and a peer that sends one is disconnected by libzmq.
    let maximumMessageSize: Int

    /// 256 MiB, or `TROUPE_MAX_MESSAGE_SIZE` (bytes) when set.
    static var defaultMaximumMessageSize: Int {
        environmentValue("TROUPE_MAX_MESSAGE_SIZE").flatMap { Int($0) } ?? 256 << 20
    }
    let calls = PendingCalls()
    let links = LinkEvents()
    let mailbox: Mailbox
    let supervisorLinks = Mutex<[String: SupervisorLink]>([:])
    private let localActors = Mutex<[UInt64: LocalActor]>([:])
    private let lastActorNumber = Atomic<UInt64>(0)
    private let routes = Mutex<[String: PeerAddress]>([:])
    private let serialQueue = Mutex<SerialCallQueue?>(nil)
    let stateHandler = Mutex<(any StateRequestHandler)?>(nil)
    private let watchedParent = Atomic<Int32>(0)
    private let peerLossObservers = Mutex<[@Sendable (String) -> Void]>([])
    private let unreachable = Mutex<Set<PeerAddress>>([])

    /// Whether a send to `peer` has failed because it is gone.
    func isUnreachable(_ peer: PeerAddress) -> Bool {
        unreachable.withLock { $0.contains(peer) }
    }

    /// Forgets that `peer` was unreachable (its exit has been handled).
    func forgetUnreachable(_ peer: PeerAddress) {
        _ = unreachable.withLock { $0.remove(peer) }
    }

    /// Calls `observer` with the node name of every directly connected process that dies.
    func onPeerLoss(_ observer: @escaping @Sendable (String) -> Void) {
        peerLossObservers.withLock { $0.append(observer) }
    }

    private final class LocalActor: Sendable {
        weak let actor: (any DistributedActor)?
        init(_ actor: any DistributedActor) { self.actor = actor }
    }

    private static let localSystem = Mutex<TroupeActorSystem?>(nil)

    /// The actor system of this (parent) process, created on first use: it binds an ipc
    /// endpoint in the process's private run directory for its workers to connect to.
    /// - Returns: the one system of this process.
    /// - Throws: ``TroupeError`` when the endpoint cannot be created.
    public static func local() throws -> TroupeActorSystem {
        try localSystem.withLock { system in
            if let system { return system }
            let directory = try RunDirectory.shared()
            let created = try TroupeActorSystem(
                node: "p\(currentProcessID())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))",
                bind: directory.endpoint("mailbox"))
            system = created
            return created
        }
    }

    /// Creates a system.
    /// - Parameters:
    ///   - node: this process's node name.
    ///   - bind: an endpoint to accept connections on, or nil for a system that only connects.
    ///   - security: CURVE settings for TCP endpoints, or nil.
    init(node: String, bind: String?, security: CurveServerSettings? = nil,
         maximumMessageSize: Int = TroupeActorSystem.defaultMaximumMessageSize) throws {
        self.node = node
        var logger = Logger(label: "troupe")
        logger[metadataKey: "troupe.node"] = "\(node)"
        self.logger = logger
        self.maximumMessageSize = maximumMessageSize
        let mailbox = try Mailbox(routingID: Array(node.utf8), bind: bind, security: security,
                                  maximumMessageSize: maximumMessageSize, logger: logger)
        self.mailbox = mailbox
        self.endpoint = mailbox.boundEndpoint
        mailbox.start(delegate: self)
    }

    // MARK: Distributed actor life cycle

    /// Finds the local actor for `id`; called by the Distributed runtime.
    /// - Parameters:
    ///   - id: the actor's identity.
    ///   - actorType: the type the caller expects.
    /// - Returns: the local actor, or nil when `id` belongs to another process (the caller
    ///   then gets a remote reference).
    /// - Throws: ``TroupeError`` `.unknownActor` when `id` names an actor of this process that
    ///   no longer exists or has another type.
    public func resolve<Act>(id: ActorID, as actorType: Act.Type) throws -> Act?
    where Act: DistributedActor, Act.ID == ActorID {
        guard id.node == node else { return nil }
        guard let actor = localActors.withLock({ $0[id.number]?.actor }) else {
            throw TroupeError(.unknownActor, "actor \(id) no longer exists in this process", context: ["actor": "\(id)"])
        }
        guard let typed = actor as? Act else {
            throw TroupeError(.unknownActor, "actor \(id) is a \(type(of: actor)), not a \(Act.self)", context: ["actor": "\(id)"])
        }
        return typed
    }

    /// Gives a new local actor its identity; called by the Distributed runtime.
    /// - Parameter actorType: the new actor's type.
    /// - Returns: an identity unique in this process.
    public func assignID<Act>(_ actorType: Act.Type) -> ActorID
    where Act: DistributedActor, Act.ID == ActorID {
        TroupeActorID(node: node, number: lastActorNumber.add(1, ordering: .relaxed).newValue, endpoint: endpoint)
    }

    /// Makes a new local actor reachable by its identity; called by the Distributed runtime.
    /// - Parameter actor: the actor, once initialized.
    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ActorID {
        localActors.withLock { $0[actor.id.number] = LocalActor(actor) }
    }

    /// Forgets a local actor that is being deinitialized; called by the Distributed runtime.
    /// - Parameter id: the actor's identity.
    public func resignID(_ id: ActorID) {
        _ = localActors.withLock { $0.removeValue(forKey: id.number) }
    }

    /// Creates the encoder of an outgoing call; called by the Distributed runtime.
    /// - Returns: an empty encoder.
    public func makeInvocationEncoder() -> InvocationEncoder {
        TroupeInvocationEncoder()
    }

    // MARK: Outgoing calls

    /// Sends a call to a remote actor and waits for its result; called by the Distributed
    /// runtime for every distributed function that returns a value.
    /// - Parameters:
    ///   - actor: the remote actor.
    ///   - target: the distributed function.
    ///   - invocation: the recorded arguments.
    ///   - throwing: the error type the function declares.
    ///   - returning: the result type.
    /// - Returns: the decoded result.
    /// - Throws: the function's error as a ``TroupeError`` (`.remote` for an error it threw),
    ///   or `.unknownPeer`, `.badArguments`, `.cancelled`, `.workerCrashed` when the call
    ///   could not be made or answered.
    public func remoteCall<Act, Err, Res>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout InvocationEncoder,
        throwing: Err.Type,
        returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ActorID, Err: Error, Res: Codable {
        let bytes = try await send(invocation, to: actor.id, target: target)
        var decoder = MessagePackDecoder()
        decoder.userInfo[.actorSystemKey] = self
        do {
            return try decoder.decode(Res.self, from: bytes)
        } catch {
            throw TroupeError(.badArguments, "the result of \(target.identifier) does not decode as \(Res.self): \(error)",
                              context: ["actor": "\(actor.id)"])
        }
    }

    /// Sends a call to a remote actor and waits for it to finish; called by the Distributed
    /// runtime for every distributed function that returns nothing.
    /// - Parameters:
    ///   - actor: the remote actor.
    ///   - target: the distributed function.
    ///   - invocation: the recorded arguments.
    ///   - throwing: the error type the function declares.
    /// - Throws: as ``remoteCall(on:target:invocation:throwing:returning:)``.
    public func remoteCallVoid<Act, Err>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout InvocationEncoder,
        throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ActorID, Err: Error {
        _ = try await send(invocation, to: actor.id, target: target)
    }

    private func send(_ invocation: InvocationEncoder, to id: ActorID, target: RemoteCallTarget) async throws -> [UInt8] {
        guard let peer = address(of: id) else {
            throw TroupeError(.unknownPeer, "no connection to node \(id.node), which hosts actor \(id)", context: ["actor": "\(id)"])
        }
        TargetRecorder.current?.record(target.identifier)
        let size = invocation.arguments.reduce(0) { $0 + $1.count }
        if size > maximumMessageSize {
            throw TroupeError(.badArguments, "the arguments of \(target.identifier) take \(size) bytes, more than the \(maximumMessageSize)-byte message limit: send less per call (TROUPE_MAX_MESSAGE_SIZE raises the limit)",
                              context: ["actor": "\(id)"])
        }
        let callID = calls.nextID()
        let envelope = Envelope.call(Envelope.Call(
            callID: callID, actor: id.number, target: target.identifier,
            genericSubstitutions: invocation.genericSubstitutions, arguments: invocation.arguments))
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                calls.register(callID, peer: peer, continuation: continuation)
                if Task.isCancelled {
                    calls.complete(callID, with: .failure(TroupeError(.cancelled, "the call was cancelled before it was sent")))
                    return
                }
                send(envelope, to: peer)
            }
        } onCancel: {
            if calls.complete(callID, with: .failure(TroupeError(.cancelled, "the call was cancelled while it ran (its worker was told to stop it)", context: ["actor": "\(id)"]))) {
                send(.cancel(callID: callID), to: peer)
            }
        }
    }

    // MARK: Routing

    /// Where to send messages for the actor `id`.
    func address(of id: ActorID) -> PeerAddress? {
        if let name = id.serviceName, let endpoint = id.endpoint { return .service(endpoint: endpoint, name: name) }
        if let route = routes.withLock({ $0[id.node] }) { return route }
        if let endpoint = id.endpoint { return .connection(endpoint) }
        return nil
    }

    /// Records how to reach `node`.
    func setRoute(_ address: PeerAddress, for node: String) {
        routes.withLock { $0[node] = address }
    }

    /// Forgets how to reach `node`.
    func removeRoute(for node: String) {
        _ = routes.withLock { $0.removeValue(forKey: node) }
    }

    /// Queues `envelope` for `peer`; envelopes queued together leave in one message.
    func send(_ envelope: Envelope, to peer: PeerAddress) {
        // Work for a supervisor that has gone silent waits in its link until it answers again.
        if case .service(let endpoint, _) = peer,
           supervisorLinks.withLock({ $0[endpoint] })?.holdWhileUnreachable(envelope, to: peer) == true { return }
        mailbox.send(envelope, to: peer)
    }

    /// Connects to `endpoint` (a node that binds one), ahead of the first message.
    func connect(to endpoint: String, curve: CurveClientSettings? = nil) {
        mailbox.connect(to: endpoint, curve: curve)
    }

    /// Connects to the standalone supervisor at `endpoint` (once; later calls return the
    /// same link).
    func connectSupervisor(_ endpoint: String, role: SupervisorLink.Role, curve: CurveClientSettings?) -> SupervisorLink {
        let (link, created) = supervisorLinks.withLock { links -> (SupervisorLink, Bool) in
            if let existing = links[endpoint] { return (existing, false) }
            let link = SupervisorLink(endpoint: endpoint, role: role)
            links[endpoint] = link
            return (link, true)
        }
        if created { link.start(on: self, curve: curve) }
        return link
    }

    /// Withdraws or cancels the call that arrived as the request `peer`.
    func cancelBrokered(_ peer: PeerAddress) {
        guard let queue = serialQueue.withLock({ $0 }) else { return }
        if let withdrawn = queue.cancel(peer: peer) {
            send(.throw(Envelope.Throw(failure: TroupeError(.cancelled, "the call was cancelled before it started"), callID: withdrawn)), to: peer)
        }
    }

    /// Fails every call waiting on `peer`, whose process is gone.
    func peerLost(_ peer: PeerAddress, error: TroupeError) {
        // After SIGINT or SIGTERM the program ends by that signal in a moment; failing calls
        // now would only hand the program errors it has no time to handle.
        if SignalHandling.isShuttingDown { return }
        calls.failAll(to: peer, with: error)
        // A dead process's locks and waits at a shared-state owner are released: here, and at
        // owners in processes of their own (which cannot see this process's children die).
        if case .routed(let identity) = peer {
            let node = String(decoding: identity, as: UTF8.self)
            (stateHandler.withLock({ $0 }) as? StateStore)?.release(node: node)
            for observer in peerLossObservers.withLock({ $0 }) { observer(node) }
        }
    }

    /// Makes incoming calls run one at a time, in order (the worker process's discipline).
    func serveCallsSerially() {
        serialQueue.withLock { queue in
            if queue == nil { queue = SerialCallQueue() }
        }
    }

    /// Actor number 0 addresses the system itself, never a user's actor.
    static let systemActorNumber: UInt64 = 0
    /// The system target that answers when the peer's earlier calls have all finished.
    static let syncTarget = "troupe.sync"

    /// Waits until `peer` has finished every call sent to it before this one (a worker runs
    /// calls in order), or until `timeout` passes.
    /// - Returns: whether the peer answered in time.
    func sync(with peer: PeerAddress, timeout: Duration) async -> Bool {
        let callID = calls.nextID()
        let expiry = TroupeError(.timeout, "the worker did not finish its current call within \(timeout)")
        do {
            _ = try await withUnsafeThrowingContinuation { continuation in
                calls.register(callID, peer: peer, continuation: continuation,
                               deadline: (ContinuousClock.now.advanced(by: timeout), expiry))
                send(.call(Envelope.Call(callID: callID, actor: Self.systemActorNumber, target: Self.syncTarget)), to: peer)
            }
            return true
        } catch {
            return false
        }
    }

    /// Runs `body` once every incoming call queued so far has finished.
    func afterQueuedCalls(_ body: @escaping @Sendable () async -> Void) {
        if let queue = serialQueue.withLock({ $0 }) {
            queue.enqueue(SerialCallQueue.Job(callID: 0, peer: .connection(""), run: body))
        } else {
            Task { await body() }
        }
    }

    /// Ends this process when `parent` is no longer its parent (checked every mailbox tick).
    func watchParent(_ parent: Int32) {
        watchedParent.store(parent, ordering: .relaxed)
    }

    /// Stops the mailbox thread after sending what is queued.
    func shutdown() {
        mailbox.shutdown()
    }

    // MARK: Incoming calls

    func dispatch(_ call: Envelope.Call, from peer: PeerAddress) {
        if call.actor == Self.systemActorNumber, call.target == Self.syncTarget {
            // Answered once every call queued before it has finished (see `sync(with:timeout:)`).
            afterQueuedCalls { [self] in self.send(.return(Envelope.Return(callID: call.callID)), to: peer) }
            return
        }
        guard let actor = localActors.withLock({ $0[call.actor]?.actor }) else {
            counters.unknownActors.add(1, ordering: .relaxed)
            send(.throw(Envelope.Throw(
                failure: TroupeError(.unknownActor, "no actor number \(call.actor) in node \(node)",
                                     context: ["node": node]),
                callID: call.callID)), to: peer)
            return
        }
        let run: @Sendable () async -> Void = { [self] in
            await self.execute(call, on: actor, from: peer)
        }
        if let queue = serialQueue.withLock({ $0 }) {
            queue.enqueue(SerialCallQueue.Job(callID: call.callID, peer: peer, run: run))
        } else {
            Task { await run() }
        }
    }

    private func execute(_ call: Envelope.Call, on actor: any DistributedActor, from peer: PeerAddress) async {
        var decoder = TroupeInvocationDecoder(call: call, system: self)
        let handler = TroupeResultHandler(system: self, callID: call.callID, peer: peer)
        do {
            try await executeDistributedTarget(
                on: actor, target: RemoteCallTarget(call.target), invocationDecoder: &decoder, handler: handler)
        } catch {
            let failure = decoder.argumentFailure ?? TroupeError(
                .unknownTarget,
                "\(type(of: actor)) in node \(node) has no distributed function \(call.target): both processes must run the same build",
                context: ["node": node])
            counters.failedDispatches.add(1, ordering: .relaxed)
            send(.throw(Envelope.Throw(failure: failure, callID: call.callID)), to: peer)
        }
    }

    fileprivate func cancel(callID: UInt64, from peer: PeerAddress) {
        guard let queue = serialQueue.withLock({ $0 }) else { return }
        if queue.cancel(callID: callID, from: peer) == .withdrawn {
            send(.throw(Envelope.Throw(
                failure: TroupeError(.cancelled, "the call was cancelled before it started"), callID: callID)), to: peer)
        }
    }

}

extension TroupeActorSystem: MailboxDelegate {
    func mailbox(received envelope: Envelope, from peer: PeerAddress) {
        switch envelope {
        case .call(let call):
            dispatch(call, from: peer)
        case .return(let reply):
            if !calls.complete(reply.callID, with: .success(reply.value)) {
                counters.unknownReplies.add(1, ordering: .relaxed)
                logger.debug("reply for an unknown call", metadata: ["troupe.kind": "RETURN"])
            }
        case .throw(let failure):
            if !calls.complete(failure.callID, with: .failure(failure.troupeError)) {
                counters.unknownReplies.add(1, ordering: .relaxed)
                logger.debug("reply for an unknown call", metadata: ["troupe.kind": "THROW"])
            }
        case .cancel(let callID):
            cancel(callID: callID, from: peer)
        case .state(let request):
            if let handler = stateHandler.withLock({ $0 }) {
                handler.handle(request, from: peer, system: self)
            } else {
                send(.throw(Envelope.Throw(
                    failure: TroupeError(.unknownContainer, "node \(node) holds no shared state"),
                    callID: request.callID)), to: peer)
            }
        case .ready, .heartbeat, .disconnect, .goodbye:
            links.received(envelope, from: peer)
        case .reject(let rejection):
            counters.rejectedByPeer.add(1, ordering: .relaxed)
            logger.warning("peer rejected a message", metadata: ["troupe.code": "\(rejection.code)", "troupe.reason": "\(rejection.message)"])
        }
    }

    func mailbox(rejected error: WireError, from peer: PeerAddress) {
        counters.malformedMessages.add(1, ordering: .relaxed)
        // A flood of garbage gets a few answers and a few log lines per tick, not one each.
        guard counters.rejectsThisTick.add(1, ordering: .relaxed).newValue <= 8 else { return }
        logger.warning("rejected a malformed message", metadata: ["troupe.error": "\(error.code)"])
        send(.reject(Envelope.Reject(error)), to: peer)
    }

    func mailbox(received command: SupervisorCommand, payload: [UInt8], from peer: PeerAddress) {
        guard case .connection(let endpoint) = peer, let link = supervisorLinks.withLock({ $0[endpoint] }) else {
            mailbox(rejected: WireError(.unknownKind, "this process is not a supervisor; it takes no Protocol 2 commands"), from: peer)
            return
        }
        link.received(command, payload: payload, system: self)
    }

    func mailboxTick() {
        counters.rejectsThisTick.store(0, ordering: .relaxed)
        if let parent = watchedParent.load(ordering: .relaxed) as Int32?, parent != 0,
           !ParentLifeline.isAlive(parent: parent) {
            ParentLifeline.exitOrphan()
        }
        let now = ContinuousClock.now
        calls.expire(now: now)
        for link in supervisorLinks.withLock({ Array($0.values) }) { link.tick(now: now, system: self) }
    }

    func mailbox(cannotReach peer: PeerAddress) {
        let error = TroupeError(.unknownPeer, "\(peer) is not connected (its process has exited or disconnected)")
        guard case .routed = peer else {
            peerLost(peer, error: error)
            return
        }
        // A local child that vanished: its exit, reported in a moment with its status, fails
        // its calls with a truer error. Meanwhile nothing more is sent to it; if no exit is
        // reported (not our child), its calls fail after a grace period.
        let isNew = unreachable.withLock { $0.insert(peer).inserted }
        guard isNew else { return }
        Task {
            try? await Task.sleep(for: .seconds(2))
            self.peerLost(peer, error: error)
        }
    }
}

/// Counts of what the system rejected or could not match, for status reports and tests.
final class SystemCounters: Sendable {
    let malformedMessages = Atomic<Int>(0)
    let unknownReplies = Atomic<Int>(0)
    let unknownActors = Atomic<Int>(0)
    let failedDispatches = Atomic<Int>(0)
    let rejectedByPeer = Atomic<Int>(0)
    let rejectsThisTick = Atomic<Int>(0)
}
