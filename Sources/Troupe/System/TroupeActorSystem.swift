import Distributed
import Logging
import Synchronization
import TroupeWire

/// The distributed actor system of Troupe: remote calls travel as messages between
/// processes, and each process's mailbox is a set of ZeroMQ sockets owned by one thread,
/// which also runs the system's tasks (`MailboxExecutor`).
///
/// You rarely touch it: ``Troupe/bootstrap(workers:handleSignals:logger:)`` creates the one a worker process
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

    /// What a body may hold beyond the largest payload: the envelope around it. A body larger
    /// than the payload limit plus this is refused with `tooLarge`.
    static let envelopeAllowance = 4096

    /// 256 MiB, or `TROUPE_MAX_MESSAGE_SIZE` (bytes) when set.
    static var defaultMaximumMessageSize: Int {
        environmentValue("TROUPE_MAX_MESSAGE_SIZE").flatMap { Int($0) } ?? 256 << 20
    }

    /// The calls this process waits on.
    let calls = PendingCalls()
    /// Holds back large calls to a peer while others are in flight to it.
    let largeCalls = LargeCallWindow()
    /// Local actors by number.
    let actors = ActorRegistry()
    /// How to reach other nodes.
    let routes = Routes()
    /// Workers that said they are ready.
    let arrivals = ReadyWaiters()
    /// The calls this process serves.
    let incoming: IncomingCalls
    /// Connections to standalone supervisors.
    let supervisorLinks = BrokerLinks()
    /// Pools whose workers this process's calls are routed to.
    let lanes = LaneRegistry()
    /// What moves this process's messages.
    let transport: any MessageTransport
    /// What starts the workers this process asks for.
    let spawner: any WorkerSpawner
    /// The executor of the mailbox's thread: the system's own tasks run there.
    var executor: MailboxExecutor { transport.executor }

    let stateHandler = Mutex<(any StateRequestHandler)?>(nil)
    private let watchedParent = Atomic<Int32>(0)
    private let peerLossObservers = Mutex<[@Sendable (String) -> Void]>([])
    private let disconnectHandler = Mutex<(@Sendable (String, PeerAddress) -> Void)?>(nil)

    private static let localSystem = Mutex<TroupeActorSystem?>(nil)
    /// A MessagePack decoder that knows this system, for values holding actor references or
    /// shared-state proxies; made once (it refers to the system, which lives as long).
    private let decoderWithSystem = Mutex<MessagePackDecoder?>(nil)

    /// A decoder for values that may hold actor references or proxies of this system.
    var decoder: MessagePackDecoder { decoderWithSystem.withLock { $0! } }

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

    /// Creates a system over ZeroMQ.
    /// - Parameters:
    ///   - node: this process's node name.
    ///   - bind: an endpoint to accept connections on, or nil for a system that only connects.
    ///   - security: CURVE settings for TCP endpoints, or nil.
    ///   - progress: where to record the calls this process starts, for its parent.
    convenience init(node: String, bind: String?, security: CurveServerSettings? = nil,
                     maximumMessageSize: Int = TroupeActorSystem.defaultMaximumMessageSize, progress: CallProgress? = nil) throws {
        var logger = Troupe.processLogger.withLock { $0 } ?? Logger(label: "troupe")
        logger[metadataKey: "troupe.node"] = "\(node)"
        let mailbox = try Mailbox(routingID: Array(node.utf8), bind: bind, security: security,
                                  maximumMessageSize: maximumMessageSize, logger: logger)
        self.init(node: node, transport: mailbox, logger: logger, maximumMessageSize: maximumMessageSize, progress: progress)
    }

    /// Creates a system over `transport` (an in-memory one, in tests).
    /// - Parameters:
    ///   - node: this process's node name.
    ///   - transport: what moves its messages; the system starts it.
    ///   - logger: where it logs.
    ///   - spawner: what starts the workers it asks for.
    ///   - progressPath: where to record the calls it starts, for its parent (a worker's).
    @_spi(Testing)
    public convenience init(node: String, transport: any MessageTransport, logger: Logger, spawner: any WorkerSpawner,
                            progressPath: String? = nil) {
        self.init(node: node, transport: transport, logger: logger,
                  progress: progressPath.flatMap { CallProgress.attach(path: $0) }, spawner: spawner)
    }

    init(node: String, transport: any MessageTransport, logger: Logger,
         maximumMessageSize: Int = TroupeActorSystem.defaultMaximumMessageSize, progress: CallProgress? = nil,
         spawner: any WorkerSpawner = ProcessWorkerSpawner()) {
        self.node = node
        self.spawner = spawner
        self.logger = logger
        self.maximumMessageSize = maximumMessageSize
        self.transport = transport
        self.endpoint = transport.boundEndpoint
        self.incoming = IncomingCalls(progress: progress)
        decoderWithSystem.withLock { $0 = MessagePackDecoder(userInfo: [.actorSystemKey: self]) }
        transport.start(delegate: self)
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
        // A pool's worker reference stands for a remote worker, whatever its node.
        guard id.node == node, LaneRegistry.lane(of: id, in: node) == nil else { return nil }
        guard let actor = actors.actor(number: id.number) else {
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
        TroupeActorID(node: node, number: actors.nextNumber(), endpoint: endpoint)
    }

    /// Makes a new local actor reachable by its identity; called by the Distributed runtime.
    /// - Parameter actor: the actor, once initialized.
    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ActorID {
        actors.add(actor, number: actor.id.number)
    }

    /// Forgets a local actor that is being deinitialized; called by the Distributed runtime.
    /// - Parameter id: the actor's identity.
    public func resignID(_ id: ActorID) {
        actors.remove(number: id.number)
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
    public nonisolated(nonsending) func remoteCall<Act, Err, Res>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout InvocationEncoder,
        throwing: Err.Type,
        returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ActorID, Err: Error, Res: Codable {
        let bytes = TroupeTracing.isEnabled
            ? try await tracedCall(invocation, to: actor.id, of: Act.self, target: target)
            : try await sendCall(invocation, to: actor.id, target: target)
        do {
            return try ResultDecoding.decode(Res.self, from: bytes, system: self)
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
    public nonisolated(nonsending) func remoteCallVoid<Act, Err>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout InvocationEncoder,
        throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ActorID, Err: Error {
        if TroupeTracing.isEnabled {
            _ = try await tracedCall(invocation, to: actor.id, of: Act.self, target: target)
        } else {
            _ = try await sendCall(invocation, to: actor.id, target: target)
        }
    }

    /// Sends one call inside a client span, whose context travels in the call's envelope.
    private nonisolated(nonsending) func tracedCall<Act: DistributedActor>(_ invocation: InvocationEncoder, to id: ActorID, of actorType: Act.Type,
                                                   target: RemoteCallTarget) async throws -> [UInt8] {
        let callID = calls.nextID()
        let (span, trace) = TroupeTracing.startCall(target: target, actorType: String(reflecting: actorType), callID: callID, node: node)
        do {
            let bytes = try await sendCall(invocation, to: id, target: target, callID: callID, trace: trace)
            TroupeTracing.end(span, error: nil)
            return bytes
        } catch {
            TroupeTracing.end(span, error: error)
            throw error
        }
    }

    /// Sends one call and waits for its reply's value.
    ///
    /// `nonisolated(nonsending)`, as the rest of a call's path: a plain `nonisolated` async
    /// function checks its executor on entry and after each call it awaits, and in a task
    /// with an executor preference each check takes the task's status lock.
    /// - Parameters:
    ///   - callID: the call's identifier, drawn already (a traced call names it in its span).
    ///   - trace: the trace context the envelope carries, or nil for none.
    private nonisolated(nonsending) func sendCall(_ invocation: InvocationEncoder, to id: ActorID, target: RemoteCallTarget,
                          callID drawn: UInt64? = nil, trace: Envelope.TraceContext? = nil) async throws -> [UInt8] {
        let size = invocation.arguments.reduce(0) { $0 + $1.count }
        if size > maximumMessageSize {
            throw TroupeError(.badArguments, "the arguments of \(target.identifier) take \(size) bytes, more than the \(maximumMessageSize)-byte message limit: send less per call (TROUPE_MAX_MESSAGE_SIZE raises the limit)",
                              context: ["actor": "\(id)"])
        }
        let owner = PoolTaskContext.current
        var route = try route(to: id, owner: owner)
        // A large call waits while others fill its peer's window; the route may have changed
        // meanwhile (a replaced worker).
        var windowPeer: PeerAddress?
        if size >= LargeCallWindow.largeCallBytes, let peer = route.peer {
            do {
                try await largeCalls.enter(size, to: peer)
            } catch {
                throw TroupeError(.cancelled, "the call was cancelled before it was sent (it waited for the large calls ahead of it to its worker)",
                                  context: ["actor": "\(id)"])
            }
            windowPeer = peer
            route = try self.route(to: id, owner: owner)
        }
        defer { if let windowPeer { largeCalls.leave(size, from: windowPeer) } }
        let callID = drawn ?? calls.nextID()
        let call = Envelope.Call(callID: callID, actor: route.actor ?? id.number, target: target.identifier,
                                 genericSubstitutions: invocation.genericSubstitutions, arguments: invocation.arguments, trace: trace)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                let keep = owner != nil ? call : nil
                guard calls.register(callID, peer: route.peer ?? .connection(""), continuation: continuation,
                                     owner: owner, call: keep) else {
                    continuation.resume(throwing: TroupeError(.system, "a call id was drawn twice; try again"))
                    return
                }
                if Task.isCancelled {
                    calls.end(callID, with: TroupeError(.cancelled, "the call was cancelled before it was sent"))
                    return
                }
                guard let peer = route.peer else {
                    // The pool's worker for this task is being replaced: the call waits for one.
                    calls.park(callID)
                    if let owner { lanes.router(for: owner.pool)?.callParked(callID, owner: owner) }
                    return
                }
                transmitAndAwaitReply(.call(call), to: peer, callID: callID)
            }
        } onCancel: {
            let peer = calls.peer(of: callID)
            if calls.end(callID, with: TroupeError(.cancelled, "the call was cancelled while it ran (its worker was told to stop it)", context: ["actor": "\(id)"])),
               let peer {
                send(.cancel(callID: callID), to: peer)
            }
        }
    }

    /// Cancels the calls a pool's task is waiting on, as cancelling the task would: each
    /// fails with `.cancelled`, and its worker is told to stop it.
    func cancelCalls(ownedBy owner: CallOwner) {
        for (callID, peer) in calls.pending(ownedBy: owner) {
            if calls.end(callID, with: TroupeError(.cancelled, "the call was cancelled while it ran (its worker was told to stop it)")),
               let peer {
                send(.cancel(callID: callID), to: peer)
            }
        }
    }

    /// Where a call to `id` goes: to the node's route, or, for a pool's worker reference, to
    /// the process serving that pool position now (nil peer: none yet).
    private func route(to id: ActorID, owner: CallOwner?) throws -> (peer: PeerAddress?, actor: UInt64?) {
        if let lane = LaneRegistry.lane(of: id, in: node) {
            guard let router = lanes.router(for: lane.pool) else {
                throw TroupeError(.closed, "the pool of worker reference \(id) is gone: use a worker reference only inside the work handed to its pool",
                                  context: ["actor": "\(id)"])
            }
            switch router.route(position: lane.position, owner: owner?.pool == lane.pool ? owner : nil) {
            case .send(let peer, let actor): return (peer, actor)
            case .wait: return (nil, nil)
            case .fail(let error): throw error
            }
        }
        guard let peer = routes.address(of: id) else {
            throw TroupeError(.unknownPeer, "no connection to node \(id.node), which hosts actor \(id)", context: ["actor": "\(id)"])
        }
        return (peer, nil)
    }

    /// How long a caller outside the mailbox's threads may do the mailbox's I/O itself while
    /// it waits for a reply (see ``MailboxExecutor/leadWhileWaiting(budget:send:_:othersWaiting:)``): a few round
    /// trips, or one batch of 10,000 shared-state entries, so that a long call soon leaves the
    /// thread to other tasks.
    static let replyLeadBudget: Duration = .milliseconds(5)

    /// The largest request (estimated, in bytes) whose caller waits for the reply that way:
    /// requests of a few kilobytes (a `values(for:)` of 600 keys) gain from it too.
    static let replyLeadLargestRequest = 1 << 20

    /// Sends a registered call from inside its continuation. A caller that waits for no
    /// other call, on a thread outside the mailbox's, then receives the reply itself if it
    /// comes soon: the continuation is resumed before the task awaits it, and the task goes
    /// on on this thread, with no wake-up of the mailbox's threads on the way.
    func transmitAndAwaitReply(_ envelope: Envelope, to peer: PeerAddress, callID: UInt64) {
        // A large request is work that takes a while to answer: its thread is not held for it.
        guard envelope.estimatedSize <= Self.replyLeadLargestRequest, calls.isOnlyPending(callID) else {
            transmit(envelope, to: peer, callID: callID)
            return
        }
        let led = transport.executor.leadWhileWaiting(budget: Self.replyLeadBudget) {
            transmit(envelope, to: peer, callID: callID)
        } _: {
            calls.isPending(callID)
        } othersWaiting: {
            !calls.isEmpty
        }
        if led, !calls.isPending(callID) { counters.repliesReceivedByCaller.add(1, ordering: .relaxed) }
    }

    /// Sends a registered call, recording where it stands in the order of calls to its peer.
    func transmit(_ envelope: Envelope, to peer: PeerAddress, callID: UInt64) {
        if let sequence = send(envelope, to: peer) { calls.setSequence(callID, sequence) }
    }

    // MARK: Sending

    /// Queues `envelope` for `peer`; envelopes queued together leave in one message.
    /// - Returns: for a direct peer, where the envelope stands in the order of this
    ///   process's messages.
    @discardableResult
    func send(_ envelope: Envelope, to peer: PeerAddress) -> UInt64? {
        switch peer {
        case .routed, .connection:
            return transport.send(envelope, to: peer)
        case .service, .brokered:
            ClusterFraming.send(envelope, to: peer, over: transport, links: supervisorLinks, logger: logger)
            return nil
        }
    }

    /// Connects to `endpoint` (a node that binds one), ahead of the first message.
    func connect(to endpoint: String, curve: CurveClientSettings? = nil) {
        transport.connect(to: endpoint, curve: curve)
    }

    // MARK: Peers

    /// Calls `observer` with the node name of every directly connected process that dies.
    func onPeerLoss(_ observer: @escaping @Sendable (String) -> Void) {
        peerLossObservers.withLock { $0.append(observer) }
    }

    /// Sets what happens when a peer sends DISCONNECT.
    func onDisconnect(_ handler: @escaping @Sendable (String, PeerAddress) -> Void) {
        disconnectHandler.withLock { $0 = handler }
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
            stateHandler.withLock({ $0 })?.release(node: node)
            for observer in peerLossObservers.withLock({ $0 }) { observer(node) }
        }
    }

    // MARK: Serving

    /// Makes incoming calls run one at a time, in order (the worker process's discipline).
    func serveCallsSerially() {
        incoming.serveSerially(on: executor)
    }

    /// Runs `body` once every incoming call queued so far has finished.
    func afterQueuedCalls(_ body: @escaping @Sendable () async -> Void) {
        incoming.afterQueuedCalls(executor: executor, body)
    }

    /// Waits until `peer` has finished every call sent to it before this one (a worker runs
    /// calls in order), or until `timeout` passes.
    /// - Returns: whether the peer answered in time.
    func sync(with peer: PeerAddress, timeout: Duration) async -> Bool {
        let callID = calls.nextID()
        let deadline = PendingCalls.Deadline(instant: ContinuousClock.now.advanced(by: timeout)) {
            TroupeError(.timeout, "the worker did not finish its current call within \(timeout)")
        }
        do {
            _ = try await withUnsafeThrowingContinuation { continuation in
                calls.register(callID, peer: peer, continuation: continuation, deadline: deadline)
                transmit(.call(Envelope.Call(callID: callID, actor: IncomingCalls.systemActorNumber, target: IncomingCalls.syncTarget)),
                         to: peer, callID: callID)
            }
            return true
        } catch {
            return false
        }
    }

    /// Ends this process when `parent` is no longer its parent (checked every mailbox tick).
    func watchParent(_ parent: Int32) {
        watchedParent.store(parent, ordering: .relaxed)
    }

    /// Stops the mailbox after sending what is queued.
    func shutdown() {
        transport.shutdown()
    }

    // MARK: For the transport delegate

    func received(disconnect reason: String, from peer: PeerAddress) {
        disconnectHandler.withLock { $0 }?(reason, peer)
    }

    func checkParent() {
        let parent = watchedParent.load(ordering: .relaxed)
        if parent != 0, !ParentLifeline.isAlive(parent: parent) {
            ParentLifeline.exitOrphan()
        }
    }
}
