import Synchronization

/// Keeps actors that run in processes of their own alive, as an Erlang/OTP supervisor does
/// with its children: each child is restarted by its ``RestartPolicy``, with a back-off, and
/// when children die more often than the ``RestartIntensity`` allows, the supervisor gives
/// up: it stops every child and reports why.
///
/// ```swift
/// let supervisor = Supervisor()
/// let cache = try await supervisor.start(CacheServer.self, restart: .permanent)
/// try await cache.call { try await $0.put("k", "v") }   // always the current incarnation
/// ```
public final class Supervisor: Sendable {
    /// How many restarts the supervisor accepts, in what period, and how it paces them.
    public let intensity: RestartIntensity
    private let state: Mutex<State>

    private struct State {
        var children: [UInt64: any SupervisedChild] = [:]
        var lastID: UInt64 = 0
        var restarts: RestartCounter
        var failure: TroupeError?
        var stopping = false
    }

    /// Creates a supervisor.
    /// - Parameter intensity: at most this many restarts in this period (default: 3 in 5 s,
    ///   as OTP's 1 in 5 s is strict for processes that take a few milliseconds to start); the
    ///   first restart in the period is immediate, later ones wait a back-off that doubles.
    public init(intensity: RestartIntensity = RestartIntensity(maxRestarts: 3, period: .seconds(5))) {
        self.intensity = intensity
        state = Mutex(State(restarts: RestartCounter(intensity)))
    }

    /// Why the supervisor gave up, if it did.
    public var failure: TroupeError? { state.withLock { $0.failure } }

    /// Starts a supervised actor in a process of its own and returns once it is ready.
    /// - Parameters:
    ///   - type: the worker type.
    ///   - restart: when its process is restarted.
    /// - Returns: a handle that always reaches the current incarnation.
    /// - Throws: the start failure, or the reason the supervisor gave up.
    public func start<W: Worker>(_ type: W.Type, restart: RestartPolicy = .permanent) async throws -> SupervisedActor<W> {
        let id = try state.withLock { state -> UInt64 in
            if let failure = state.failure { throw failure }
            state.lastID += 1
            return state.lastID
        }
        let child = SupervisedActor<W>(policy: restart)
        let process = try await ActorProcess.start(type)
        child.attach(process)
        state.withLock { $0.children[id] = child }
        watch(child, id: id, process: process)
        return child
    }

    /// Stops every child in order (each is asked to leave, then terminated, then killed).
    public func stop() async {
        let children = state.withLock { state -> [any SupervisedChild] in
            state.stopping = true
            return Array(state.children.values)
        }
        for child in children { await child.stopProcess() }
    }

    private func watch<W: Worker>(_ child: SupervisedActor<W>, id: UInt64, process: ActorProcess<W>) {
        process.child.onExit { [weak self] status in
            guard let self else { return }
            Task { await self.childExited(child, id: id, status: status) }
        }
    }

    private func childExited<W: Worker>(_ child: SupervisedActor<W>, id: UInt64, status: ExitStatus) async {
        child.recordExit(status)
        let now = ContinuousClock.now
        let decision = state.withLock { state -> RestartCounter.Decision? in
            guard !state.stopping, state.failure == nil, !child.isStopped, child.policy.restarts(after: status) else {
                state.children[id] = nil
                return nil
            }
            let decision = state.restarts.recordDeath(at: now)
            if case .giveUp(let deaths) = decision {
                state.failure = TroupeError(
                    .restartIntensityExceeded,
                    "children of this supervisor died \(deaths) times within \(intensity.period) (the last \(status)); it stopped them all",
                    context: ["worker": W.workerTypeName])
            }
            return decision
        }
        child.decided(willRestart: decision.map { if case .restart = $0 { return true } else { return false } } ?? false)
        guard let decision else { return }
        guard case .restart(let delay) = decision else {
            await stop()
            return
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        do {
            let process = try await ActorProcess.start(W.self)
            child.attach(process)
            watch(child, id: id, process: process)
        } catch {
            state.withLock { state in
                state.failure = TroupeError(.workerStartFailed, "a supervised \(W.workerTypeName) could not be restarted: \(error)")
            }
            await stop()
        }
    }
}

/// What a supervisor needs of its children, whatever their worker type.
protocol SupervisedChild: Sendable {
    func stopProcess() async
}

/// An actor kept alive by a ``Supervisor``: it reaches the current incarnation of the
/// actor's process, whichever that is after restarts.
public final class SupervisedActor<W: Worker>: SupervisedChild, Sendable {
    /// When the actor's process is restarted.
    public let policy: RestartPolicy
    private let state = Mutex<(process: ActorProcess<W>?, restarts: Int, lastExit: ExitStatus?, stopped: Bool, ended: Bool)>((nil, 0, nil, false, false))

    init(policy: RestartPolicy) {
        self.policy = policy
    }

    /// The current incarnation's actor reference.
    /// - Returns: a reference to the actor in the process that runs now.
    /// - Throws: ``TroupeError`` `.invalidState` when no process runs it (stopped for good, or
    ///   between a death and its restart).
    public func actor() throws -> W {
        guard let process = state.withLock({ $0.process }), process.isAlive else {
            throw TroupeError(.invalidState, "the supervised \(W.workerTypeName) is not running (\(lastExit.map { "\($0)" } ?? "stopped"))")
        }
        return process.actor
    }

    /// Runs `body` against the current incarnation.
    /// - Parameter body: the work, calling the actor's distributed functions.
    /// - Returns: what `body` returned.
    /// - Throws: ``TroupeError`` `.invalidState` when no process runs the actor, or `body`'s error.
    public func call<R: Sendable>(_ body: (W) async throws -> R) async throws -> R {
        try await body(try actor())
    }

    /// The current process id.
    public var pid: Int32? { state.withLock { $0.process?.pid } }

    /// How many times the process was restarted.
    public var restarts: Int { state.withLock { $0.restarts } }

    /// How the last process ended, if one did.
    public var lastExit: ExitStatus? { state.withLock { $0.lastExit } }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Whether its process ended and will not be restarted (by its policy, or because it
    /// was stopped, or because the supervisor gave up).
    public var hasEnded: Bool { state.withLock { $0.ended } }

    func decided(willRestart: Bool) {
        state.withLock { $0.ended = !willRestart }
    }

    /// Stops the actor for good: it is not restarted.
    public func stop() async {
        await stopProcess()
    }

    func stopProcess() async {
        let process = state.withLock { state -> ActorProcess<W>? in
            state.stopped = true
            return state.process
        }
        await process?.stop(gracePeriod: .seconds(2))
    }

    func attach(_ process: ActorProcess<W>) {
        state.withLock { state in
            if state.process != nil { state.restarts += 1 }
            state.process = process
        }
    }

    func recordExit(_ status: ExitStatus) {
        state.withLock { $0.lastExit = status }
    }
}
