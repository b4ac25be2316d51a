import Distributed
import Synchronization
import Tracing
import TroupeWire

/// The calls other processes make on this process's actors: each runs on the mailbox's
/// executor, in a worker process one at a time and in arrival order (``SerialCallQueue``).
final class IncomingCalls: Sendable {
    /// Actor number 0 addresses the system itself, never a user's actor.
    static let systemActorNumber: UInt64 = 0
    /// The system target that answers when the peer's earlier calls have all finished.
    static let syncTarget = "troupe.sync"

    private let serialQueue = Mutex<SerialCallQueue?>(nil)
    /// Where a worker records each call it starts, for its parent.
    private let progress: CallProgress?
    /// What this process knows of each target it has served.
    private let targets = DistributedTargets()

    init(progress: CallProgress?) {
        self.progress = progress
    }

    /// Makes incoming calls run one at a time, in order (the worker process's discipline).
    func serveSerially(on executor: MailboxExecutor) {
        serialQueue.withLock { queue in
            if queue == nil { queue = SerialCallQueue(executor: executor, progress: progress) }
        }
    }

    /// Runs `body` once every incoming call queued so far has finished.
    func afterQueuedCalls(executor: MailboxExecutor, _ body: @escaping @Sendable () async -> Void) {
        if let queue = serialQueue.withLock({ $0 }) {
            queue.enqueue(SerialCallQueue.Job(callID: 0, peer: .connection(""), run: body))
        } else {
            Task(executorPreference: executor) { await body() }
        }
    }

    /// Runs a call that arrived from `peer`, or answers why it cannot run.
    /// - Parameter willStart: run just before the call starts, once it has left the queue
    ///   (a brokered call reports its start); not run for a call that never starts.
    func dispatch(_ call: Envelope.Call, from peer: PeerAddress, system: TroupeActorSystem,
                  willStart: (@Sendable () -> Void)? = nil) {
        if call.actor == Self.systemActorNumber, call.target == Self.syncTarget {
            // Answered once every call queued before it has finished (see `sync(with:timeout:)`).
            let run: @Sendable () async -> Void = { system.send(.return(Envelope.Return(callID: call.callID)), to: peer) }
            if let queue = serialQueue.withLock({ $0 }) {
                queue.enqueue(SerialCallQueue.Job(callID: call.callID, peer: peer, run: run))
            } else {
                Task(executorPreference: system.executor) { await run() }
            }
            return
        }
        guard let actor = system.actors.actor(number: call.actor) else {
            system.counters.unknownActors.add(1, ordering: .relaxed)
            system.send(.throw(Envelope.Throw(
                failure: TroupeError(.unknownActor, "no actor number \(call.actor) in node \(system.node)",
                                     context: ["node": system.node]),
                callID: call.callID)), to: peer)
            return
        }
        let run: @Sendable () async -> Void = { [targets] in
            await Self.execute(call, on: actor, from: peer, targets: targets, system: system)
        }
        if let queue = serialQueue.withLock({ $0 }) {
            queue.enqueue(SerialCallQueue.Job(callID: call.callID, peer: peer, run: run, willStart: willStart))
        } else {
            Task(executorPreference: system.executor) {
                if let willStart {
                    willStart()
                    system.executor.flushIfLeader()
                }
                await run()
            }
        }
    }

    /// Gives back the brokered calls among `peers` that have not started (never a running one).
    /// - Returns: the peers of the calls given back.
    func withdrawBrokered(_ peers: Set<PeerAddress>) -> [PeerAddress] {
        guard let queue = serialQueue.withLock({ $0 }) else { return [] }
        return queue.withdraw(peers: peers)
    }

    /// Runs a call; with a tracer in force, inside a `run` span whose parent is the context
    /// the call carries.
    private static func execute(_ call: Envelope.Call, on actor: any DistributedActor, from peer: PeerAddress,
                                targets: DistributedTargets, system: TroupeActorSystem) async {
        guard TroupeTracing.isEnabled else {
            await run(call, on: actor, from: peer, targets: targets, system: system, span: nil)
            return
        }
        let span = TroupeTracing.startRun(call, actorType: String(reflecting: type(of: actor)), node: system.node)
        await ServiceContext.withValue(span.context) {
            await run(call, on: actor, from: peer, targets: targets, system: system, span: span)
        }
        span.end()
    }

    private static func run(_ call: Envelope.Call, on actor: any DistributedActor, from peer: PeerAddress,
                            targets: DistributedTargets, system: TroupeActorSystem, span: (any Span)?) async {
        if let failure = targets.check(call) {
            system.counters.failedDispatches.add(1, ordering: .relaxed)
            span.map { TroupeTracing.fail($0, with: failure) }
            system.send(.throw(Envelope.Throw(failure: failure, callID: call.callID)), to: peer)
            return
        }
        var decoder = TroupeInvocationDecoder(call: call, system: system)
        var handler = TroupeResultHandler(system: system, callID: call.callID, peer: peer, span: span)
        handler.target = call.target
        handler.actorType = type(of: actor)
        do {
            try await targets.execute(call, on: actor, decoder: &decoder, handler: handler, system: system)
        } catch {
            let failure = decoder.argumentFailure ?? TroupeError(
                .unknownTarget,
                "\(type(of: actor)) in node \(system.node) has no distributed function \(call.target): both processes must run the same build",
                context: ["node": system.node])
            system.counters.failedDispatches.add(1, ordering: .relaxed)
            span.map { TroupeTracing.fail($0, with: failure) }
            system.send(.throw(Envelope.Throw(failure: failure, callID: call.callID)), to: peer)
        }
    }

    /// Withdraws a queued call or cancels the running one, as its caller asks.
    func cancel(callID: UInt64, from peer: PeerAddress, system: TroupeActorSystem) {
        guard let queue = serialQueue.withLock({ $0 }) else { return }
        if queue.cancel(callID: callID, from: peer) == .withdrawn {
            system.send(.throw(Envelope.Throw(
                failure: TroupeError(.cancelled, "the call was cancelled before it started"), callID: callID)), to: peer)
        }
    }

    /// Gives back the calls among `callIDs` that have not started (never a running one).
    func withdraw(_ callIDs: [UInt64], from peer: PeerAddress, system: TroupeActorSystem) {
        guard let queue = serialQueue.withLock({ $0 }) else { return }
        for callID in queue.withdraw(Set(callIDs), from: peer) {
            system.send(.throw(Envelope.Throw(callID: callID, code: .withdrawn,
                                              message: "the call was withdrawn before it started; it did not run")), to: peer)
        }
    }

    /// Withdraws or cancels the call that arrived as the request `peer` (through a supervisor).
    func cancelBrokered(_ peer: PeerAddress, system: TroupeActorSystem) {
        guard let queue = serialQueue.withLock({ $0 }) else { return }
        if let withdrawn = queue.cancel(peer: peer) {
            system.send(.throw(Envelope.Throw(failure: TroupeError(.cancelled, "the call was cancelled before it started"), callID: withdrawn)), to: peer)
        }
    }
}
