import Synchronization
import TroupeWire

/// The supervisor behind a ``Pool``: it owns the worker processes, the queue of work, and
/// the pool's life (running, closed, terminating, terminated). All its state sits behind
/// one lock; work runs on tasks it starts.
final class PoolCore<W: Worker>: Sendable {
    enum Phase: String, Sendable, Equatable { case running, closed, terminating, terminated }

    /// How many unexpected deaths within the intensity period are replaced without a pause.
    static var restartsWithoutBackoff: Int { 3 }

    /// What to do with a worker that has just become ready.
    private enum StartOutcome { case ready, disconnect, kill }

    /// What became of a job that ended.
    private enum JobOutcome { case done, retry, fail(any Error) }

    /// What serves a slot: a local worker process, or (for a pool connected to a standalone
    /// supervisor) a lane of requests to a service, with no process of its own.
    struct SlotWorker: Sendable {
        let actor: W
        let peer: PeerAddress
        let node: String
        let child: ChildProcess?
    }

    /// One worker position; its process is replaced when it exits while work remains.
    struct Slot {
        let position: Int
        var phase: WorkerState = .starting
        var worker: SlotWorker?
        /// Running jobs, with the task that runs each (nil for work running in its caller's
        /// task: a leased `apply`).
        var running: [UInt64: Task<Void, Never>?] = [:]
        var runningJobs: [UInt64: PoolJob<W>] = [:]
        var started: [UInt64: ContinuousClock.Instant] = [:]
        /// Jobs stopped while they ran: the worker must show it has let go of them.
        var interrupted: Set<UInt64> = []
        /// Jobs whose deadline passed.
        var timedOut: Set<UInt64> = []
        var tasksStarted = 0
        var tasksDone = 0
        var restarts = 0
        var lastExit: ExitStatus?
        /// The pid of the process that ended with ``lastExit``.
        var lastPID: Int32?
        var pid: Int32? { worker?.child?.pid }
        /// Whether the pool may hand this worker more work.
        var acceptsWork: Bool { phase == .idle || phase == .busy }
        /// When the longest-running of its jobs was handed over.
        var oldestStart: ContinuousClock.Instant? { started.values.min() }
    }

    struct State {
        var phase: Phase = .running
        var queue = JobQueue<PoolJob<W>>()
        var slots: [Slot] = []
        var lastJobID: UInt64 = 0
        var joinWaiters: [CheckedContinuation<Void, Never>] = []
        var startFailure: TroupeError?
        /// Why the pool stopped on its own (too many restarts), if it did.
        var failure: TroupeError?
        /// When workers died unexpectedly, within the restart-intensity window.
        var crashTimes: [ContinuousClock.Instant] = []

        var inFlight: Int { slots.reduce(0) { $0 + $1.running.count } }
        var allExited: Bool { slots.allSatisfy { $0.phase == .exited } }
        var hasLiveWorker: Bool { slots.contains { $0.phase != .exited } }
    }

    let system: TroupeActorSystem
    let options: PoolOptions
    let processCount: Int
    let maxTasksPerChild: Int?
    let initializer: (@Sendable (W) async throws -> Void)?
    private let launcher: WorkerLauncher
    let state = Mutex(State())

    init(system: TroupeActorSystem, processes: Int, maxTasksPerChild: Int?,
         initializer: (@Sendable (W) async throws -> Void)?, options: PoolOptions) {
        self.system = system
        self.options = options
        self.processCount = processes
        self.maxTasksPerChild = maxTasksPerChild
        self.initializer = initializer
        var launcher = WorkerLauncher(system: system)
        launcher.startTimeout = options.startTimeout
        self.launcher = launcher
        state.withLock { state in
            state.slots = (0..<processes).map { Slot(position: $0) }
        }
    }

    // MARK: Starting workers

    /// Starts every worker and returns once all are ready.
    /// - Throws: the first start failure; the workers already started are then stopped.
    func startAll() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for position in 0..<processCount {
                group.addTask { try await self.startWorker(at: position) }
            }
            do {
                try await group.waitForAll()
            } catch {
                group.cancelAll()
                terminate()
                throw error
            }
        }
        pump()
    }

    /// Makes every slot a lane of requests to `service` behind a standalone supervisor.
    func startLanes(service: TroupeActorID, peer: PeerAddress) throws {
        let actor = try W.resolve(id: service, using: system)
        state.withLock { state in
            for index in state.slots.indices {
                state.slots[index].worker = SlotWorker(actor: actor, peer: peer, node: "lane-\(index)", child: nil)
                state.slots[index].phase = .idle
            }
        }
    }

    /// Starts the process for `position` and runs the initializer on it.
    private func startWorker(at position: Int) async throws {
        let launched = try await launcher.launch(W.self)
        launched.child.onExit { [weak self] status in
            self?.workerExited(position: position, pid: launched.child.pid, status: status)
        }
        if let initializer {
            do {
                try await initializer(launched.actor)
            } catch {
                launched.child.send(signal: SIGKILL_VALUE)
                throw TroupeError(.workerStartFailed, "the pool's initializer failed in worker \(launched.child.pid): \(error)",
                                  context: ["pid": "\(launched.child.pid)"])
            }
        }
        let outcome = state.withLock { state -> StartOutcome in
            state.slots[position].worker = SlotWorker(actor: launched.actor, peer: launched.peer, node: launched.node, child: launched.child)
            guard state.phase == .running || state.phase == .closed else { return .kill }
            if state.slots[position].phase == .stopping { return .disconnect }
            state.slots[position].phase = .idle
            return .ready
        }
        switch outcome {
        case .ready: break
        case .disconnect: system.send(.disconnect(reason: DisconnectReason.done), to: launched.peer)
        case .kill: launched.child.send(signal: SIGKILL_VALUE)
        }
    }

    /// Replaces the process at `position` in the background, after `delay`.
    private func replaceWorker(at position: Int, after delay: Duration) {
        Task {
            if delay > .zero { try? await Task.sleep(for: delay) }
            do {
                try await self.startWorker(at: position)
                self.pump()
                self.finishIfDone()
            } catch let error as TroupeError {
                self.workerStartFailed(position: position, error: error)
            } catch {
                self.workerStartFailed(position: position, error: TroupeError(.workerStartFailed, "\(error)"))
            }
        }
    }

    private func workerStartFailed(position: Int, error: TroupeError) {
        system.logger.error("worker start failed", metadata: ["troupe.error": "\(error)"])
        let abandoned = state.withLock { state -> [PoolJob<W>] in
            state.slots[position].phase = .exited
            state.startFailure = error
            // With no worker left to run it, queued work would wait forever: fail it.
            guard !state.hasLiveWorker else { return [] }
            return state.queue.removeAll()
        }
        for job in abandoned {
            job.fail(TroupeError(.workerStartFailed, "no worker is left to run this task: \(error.message)"))
        }
        finishIfDone()
    }

    // MARK: Submitting and dispatching

    /// Queues a job.
    /// - Throws: ``TroupeError`` `.closed` after `close()` or `terminate()`, or the reason
    ///   the pool stopped on its own.
    func submit(retryable: Bool, timeout: Duration? = nil,
                makeJob: (UInt64) -> (execute: @Sendable (W) async -> (any Error)?, fail: @Sendable (any Error) -> Void)) throws -> UInt64 {
        let id = try state.withLock { state -> UInt64 in
            if let failure = state.failure { throw failure }
            guard state.phase == .running else {
                throw TroupeError(.closed, "the pool is \(state.phase == .closed ? "closed" : "terminated"): submit work before close(), or create a new pool")
            }
            if let failure = state.startFailure, !state.hasLiveWorker {
                throw TroupeError(.workerStartFailed, "the pool has no worker left: \(failure.message)")
            }
            state.lastJobID += 1
            let parts = makeJob(state.lastJobID)
            state.queue.append(PoolJob(id: state.lastJobID, execute: parts.execute, fail: parts.fail,
                                       retryable: retryable, retriesLeft: retryable ? options.maxRetries : 0,
                                       timeout: timeout))
            return state.lastJobID
        }
        pump()
        return id
    }

    /// Hands queued jobs to workers with room for them.
    ///
    /// Each worker gets one job at a time, unless the queue is deep (at least four jobs per
    /// worker): then jobs are pipelined, up to ``PoolOptions/pipelineDepth`` per worker, so
    /// that their messages travel together. A worker is never given a second job behind one
    /// that has been running longer than ``PoolOptions/pipelineAgeLimit``: a slow task does
    /// not hold back work that another worker could take.
    func pump() {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.phase == .running || state.phase == .closed, !state.queue.isEmpty else { return }
            let candidates = state.slots.indices.filter { index in
                state.slots[index].acceptsWork && !(state.slots[index].worker.map { system.routes.isUnreachable($0.peer) } ?? true)
            }
            guard !candidates.isEmpty else { return }
            let deep = state.queue.count >= candidates.count * 4
            let window = deep ? max(1, min(options.pipelineDepth, state.queue.count / candidates.count)) : 1
            while !state.queue.isEmpty {
                var best: Int?
                for index in candidates {
                    let slot = state.slots[index]
                    guard slot.acceptsWork, slot.running.count < window else { continue }
                    if !slot.running.isEmpty, let oldest = slot.oldestStart, now - oldest > options.pipelineAgeLimit { continue }
                    if let current = best, state.slots[current].running.count <= slot.running.count { continue }
                    best = index
                }
                guard let index = best, let worker = state.slots[index].worker, let job = state.queue.popFirst() else { break }
                start(job, on: index, worker: worker.actor, at: now, state: &state)
            }
        }
    }

    private func start(_ job: PoolJob<W>, on position: Int, worker: W, at now: ContinuousClock.Instant, state: inout State) {
        let task = Task {
            let error = await job.execute(worker)
            self.jobEnded(job, position: position, error: error)
        }
        record(job, runningAs: task, on: position, at: now, state: &state)
        if let timeout = job.timeout {
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.expire(jobID: job.id, position: position)
            }
        }
    }

    /// Notes that `job` runs on the worker at `position` (in `task`, or in its caller's).
    private func record(_ job: PoolJob<W>, runningAs task: Task<Void, Never>?, on position: Int,
                        at now: ContinuousClock.Instant, state: inout State) {
        state.slots[position].running[job.id] = .some(task)
        state.slots[position].runningJobs[job.id] = job
        state.slots[position].started[job.id] = now
        state.slots[position].tasksStarted += 1
        state.slots[position].phase = .busy
        if let limit = maxTasksPerChild, state.slots[position].tasksStarted >= limit {
            state.slots[position].phase = .retiring
        }
    }

    private func jobEnded(_ job: PoolJob<W>, position: Int, error original: (any Error)?) {
        // A job whose worker died just before its call went out finds no route to it: for the
        // caller that is the same failure as a crash mid-task.
        var error = original
        if let failure = original as? TroupeError, failure.code == .unknownPeer {
            let (pid, status) = state.withLock { ($0.slots[position].lastPID, $0.slots[position].lastExit) }
            let who = pid.map { "worker process \($0)" } ?? "the worker process"
            var context = failure.context
            context["worker"] = "\(position)"
            if let pid { context["pid"] = "\(pid)" }
            error = TroupeError(.workerCrashed, "\(who) \(status.map { "\($0)" } ?? "exited") before the task reached it",
                                context: context)
        }
        var disconnect: [PeerAddress] = []
        var syncPeer: PeerAddress?
        let next = state.withLock { state -> JobOutcome in
            state.slots[position].running[job.id] = nil
            state.slots[position].runningJobs[job.id] = nil
            state.slots[position].started[job.id] = nil
            state.slots[position].tasksDone += 1
            let wasInterrupted = state.slots[position].interrupted.remove(job.id) != nil
            let timedOut = state.slots[position].timedOut.remove(job.id) != nil
            if wasInterrupted, state.slots[position].phase == .busy || state.slots[position].phase == .idle,
               let worker = state.slots[position].worker, worker.child != nil {
                // The worker may still be running the stopped call: it gets no more work
                // until it shows it has let go, or it is replaced.
                state.slots[position].phase = .draining
                syncPeer = worker.peer
            }
            if state.slots[position].phase == .busy && state.slots[position].running.isEmpty {
                state.slots[position].phase = .idle
            }
            if state.slots[position].phase == .stopping, state.slots[position].running.isEmpty,
               let worker = state.slots[position].worker, worker.child == nil {
                state.slots[position].phase = .exited
            }
            if state.slots[position].phase == .retiring && state.slots[position].running.isEmpty,
               let worker = state.slots[position].worker {
                state.slots[position].phase = .stopping
                disconnect.append(worker.peer)
            }
            if timedOut {
                return .fail(TroupeError(.timeout, "the task did not finish within \(job.timeout.map { "\($0)" } ?? "its deadline"); it was stopped",
                                         context: ["worker": "\(position)"]))
            }
            guard let error else { return .done }
            if let failure = state.failure { return .fail(failure) }
            if state.phase == .terminating || state.phase == .terminated {
                return .fail(TroupeError(.terminated, "the pool was terminated before the task finished"))
            }
            if job.retryable, job.retriesLeft > 0, let failure = error as? TroupeError,
               failure.code == .workerCrashed || failure.code == .workerLost {
                var again = job
                again.retriesLeft -= 1
                state.queue.prepend(again)
                return .retry
            }
            return .fail(error)
        }
        if case .fail(let error) = next { job.fail(error) }
        for peer in disconnect { system.send(.disconnect(reason: DisconnectReason.done), to: peer) }
        if let syncPeer { confirmRelease(position: position, peer: syncPeer) }
        pump()
        finishIfDone()
    }

    /// Waits for a worker to finish a call it was told to stop; kills it when it does not
    /// within the grace period (work that ignores cancellation), so that it is replaced.
    private func confirmRelease(position: Int, peer: PeerAddress) {
        let grace = options.cancelGracePeriod
        Task {
            let released = await self.system.sync(with: peer, timeout: grace)
            let child = self.state.withLock { state -> ChildProcess? in
                guard state.slots[position].phase == .draining, state.slots[position].worker?.peer == peer else { return nil }
                if released {
                    state.slots[position].phase = state.slots[position].running.isEmpty ? .idle : .busy
                    return nil
                }
                state.slots[position].phase = .stopping
                return state.slots[position].worker?.child
            }
            if let child {
                self.system.logger.warning("worker did not stop its cancelled call; killing it",
                                           metadata: ["troupe.pid": "\(child.pid)"])
                child.send(signal: SIGKILL_VALUE)
            }
            self.pump()
        }
    }

    /// A job's deadline passed: stop it (its result fails with `.timeout`).
    private func expire(jobID: UInt64, position: Int) {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard let task = state.slots[position].running[jobID] else { return nil }
            state.slots[position].timedOut.insert(jobID)
            state.slots[position].interrupted.insert(jobID)
            return task
        }
        task?.cancel()
    }

    // MARK: Leases (a synchronous apply, run in its caller's task)

    /// A worker lent to one `apply` that runs in its caller's task.
    struct Lease: Sendable {
        let position: Int
        let job: PoolJob<W>
        let worker: W
        let outcome: LeaseOutcome
    }

    /// Where a lease's final error lands (set by `jobEnded` through the job's `fail`).
    final class LeaseOutcome: Sendable {
        let error = Mutex<(any Error)?>(nil)
    }

    /// Lends an idle worker when no work waits: the caller runs its work itself, saving the
    /// hand-offs to and from a task of the pool's.
    func tryLease() -> Lease? {
        let now = ContinuousClock.now
        return state.withLock { state -> Lease? in
            guard state.phase == .running, state.failure == nil, state.queue.isEmpty else { return nil }
            guard let index = state.slots.indices.first(where: { index in
                let slot = state.slots[index]
                return slot.phase == .idle && slot.running.isEmpty && !(slot.worker.map { system.routes.isUnreachable($0.peer) } ?? true)
            }), let worker = state.slots[index].worker else { return nil }
            state.lastJobID += 1
            let outcome = LeaseOutcome()
            let job = PoolJob<W>(id: state.lastJobID, execute: { _ in nil }, fail: { error in outcome.error.withLock { $0 = error } },
                                 retryable: false, retriesLeft: 0, timeout: nil)
            record(job, runningAs: nil, on: index, at: now, state: &state)
            return Lease(position: index, job: job, worker: worker.actor, outcome: outcome)
        }
    }

    /// Ends a lease; returns the error the caller must throw, if the work failed.
    func endLease(_ lease: Lease, error: (any Error)?) -> (any Error)? {
        jobEnded(lease.job, position: lease.position, error: error)
        return lease.outcome.error.withLock { $0 }
    }

    // MARK: Worker exits

    private func workerExited(position: Int, pid: Int32, status: ExitStatus) {
        // Mark the slot first, so that work failing below is never handed back to it.
        let exited = state.withLock { state -> (expected: Bool, hadWork: Bool, worker: SlotWorker)? in
            guard state.slots[position].pid == pid, let worker = state.slots[position].worker else { return nil }
            let expected = state.slots[position].phase == .stopping || SignalHandling.isShuttingDown
            let hadWork = !state.slots[position].running.isEmpty
            state.slots[position].phase = .exited
            state.slots[position].lastExit = status
            state.slots[position].lastPID = pid
            state.slots[position].worker = nil
            return (expected, hadWork, worker)
        }
        guard let (expected, hadWork, worker) = exited else { return }
        system.routes.remove(for: worker.node)
        system.peerLost(worker.peer, error: TroupeError(
            .workerCrashed, "worker process \(pid) \(status) while it ran the task",
            context: ["pid": "\(pid)", "worker": "\(position)"]))
        system.routes.forgetUnreachable(worker.peer)
        if !expected {
            system.logger.warning("worker exited unexpectedly", metadata: ["troupe.pid": "\(pid)", "troupe.status": "\(status)"])
        }
        let now = ContinuousClock.now
        let decision = state.withLock { state -> (replace: Bool, delay: Duration, giveUp: TroupeError?) in
            // A closed pool still needs a worker for queued work and for work that may be retried.
            let live = state.phase == .running || (state.phase == .closed && (!state.queue.isEmpty || hadWork))
            guard live, !SignalHandling.isShuttingDown, state.slots[position].phase == .exited else { return (false, .zero, nil) }
            var delay = Duration.zero
            if !expected {
                state.slots[position].restarts += 1
                let intensity = options.restartIntensity
                state.crashTimes = state.crashTimes.filter { now - $0 < intensity.period } + [now]
                if state.crashTimes.count > intensity.maxRestarts {
                    let failure = TroupeError(
                        .restartIntensityExceeded,
                        "workers died \(state.crashTimes.count) times within \(intensity.period) (the last, process \(pid), \(status)); "
                            + "the pool stopped. Fix the crash, or allow more with PoolOptions.restartIntensity",
                        context: ["pid": "\(pid)"])
                    state.failure = failure
                    return (false, .zero, failure)
                }
                // Back off when workers keep dying: the first few deaths in the period are
                // replaced at once, then 50 ms doubling up to the maximum.
                let recent = state.crashTimes.count - Self.restartsWithoutBackoff
                if recent > 0 {
                    let scaled = options.restartBackoff * (1 << min(recent - 1, 16))
                    delay = min(scaled, options.maximumRestartBackoff)
                }
            }
            state.slots[position].phase = .starting
            return (true, delay, nil)
        }
        if let failure = decision.giveUp {
            system.logger.error("restart intensity exceeded; the pool stops", metadata: ["troupe.error": "\(failure)"])
            stop(failing: failure)
        } else if decision.replace {
            replaceWorker(at: position, after: decision.delay)
        }
        finishIfDone()
    }

    // MARK: close / terminate / join

    func close() {
        state.withLock { state in
            if state.phase == .running { state.phase = .closed }
        }
        finishIfDone()
    }

    func terminate() {
        stop(failing: TroupeError(.terminated, "the pool was terminated before the task ran"))
    }

    /// Stops every worker now (SIGTERM, then SIGKILL after the grace period); queued work
    /// fails with `error`, running work with `.terminated` (or the pool's failure).
    private func stop(failing error: TroupeError) {
        let (children, tasks, queued) = state.withLock { state -> ([ChildProcess], [Task<Void, Never>], [PoolJob<W>]) in
            guard state.phase == .running || state.phase == .closed else { return ([], [], []) }
            state.phase = .terminating
            var children: [ChildProcess] = []
            var tasks: [Task<Void, Never>] = []
            for index in state.slots.indices {
                if let child = state.slots[index].worker?.child { children.append(child) }
                tasks.append(contentsOf: state.slots[index].running.values.compactMap { $0 })
                if state.slots[index].phase != .exited {
                    // A lane to a supervisor has no process: it ends with its last task.
                    let isLane = state.slots[index].worker != nil && state.slots[index].worker?.child == nil
                    state.slots[index].phase = isLane && state.slots[index].running.isEmpty ? .exited : .stopping
                }
            }
            return (children, tasks, state.queue.removeAll())
        }
        for job in queued { job.fail(error) }
        for task in tasks { task.cancel() }
        for child in children { child.send(signal: SIGTERM_VALUE) }
        let grace = options.terminateGracePeriod
        if !children.isEmpty {
            Task {
                for child in children where await child.wait(timeout: grace) == nil {
                    child.send(signal: SIGKILL_VALUE)
                }
            }
        }
        finishIfDone()
    }

    /// Waits until every worker has exited.
    func join() async throws {
        let phase = state.withLock { $0.phase }
        if phase == .running {
            throw TroupeError(.invalidState, "join() was called on a running pool: call close() or terminate() first")
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.phase == .terminated { return true }
                state.joinWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// After close: stops idle workers once no work remains; after every exit: ends the pool.
    private func finishIfDone() {
        var disconnect: [PeerAddress] = []
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.phase == .closed, state.queue.isEmpty, state.inFlight == 0 {
                for index in state.slots.indices {
                    switch state.slots[index].phase {
                    case .idle, .busy, .retiring, .draining:
                        if let worker = state.slots[index].worker, worker.child != nil {
                            state.slots[index].phase = .stopping
                            disconnect.append(worker.peer)
                        } else {
                            state.slots[index].phase = .exited
                        }
                    case .starting:
                        // Not ready yet: it will be stopped when it is (see startWorker).
                        state.slots[index].phase = .stopping
                    default:
                        break
                    }
                }
            }
            guard state.phase == .closed || state.phase == .terminating, state.allExited,
                  state.queue.isEmpty, state.inFlight == 0 else { return [] }
            state.phase = .terminated
            defer { state.joinWaiters.removeAll() }
            return state.joinWaiters
        }
        for peer in disconnect { system.send(.disconnect(reason: DisconnectReason.done), to: peer) }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Cancelling one job

    /// Withdraws a queued job, or stops a running one (its worker must then let go of it).
    func cancel(jobID: UInt64) {
        let (queued, running) = state.withLock { state -> (PoolJob<W>?, Task<Void, Never>?) in
            if let job = state.queue.remove(where: { $0.id == jobID }) { return (job, nil) }
            for index in state.slots.indices {
                if let task = state.slots[index].running[jobID] {
                    state.slots[index].interrupted.insert(jobID)
                    return (nil, task)
                }
            }
            return (nil, nil)
        }
        queued?.fail(TroupeError(.cancelled, "the task was cancelled before it started"))
        running?.cancel()
    }

    /// Stops every worker now, without waiting (a pool dropped without join).
    func abandon() {
        terminate()
    }

    // MARK: Status

    /// What the pool is doing now.
    func status() -> PoolStatus {
        state.withLock { state in
            PoolStatus(
                phase: state.failure != nil ? "failed" : state.phase.rawValue,
                workers: state.slots.map { slot in
                    PoolStatus.Worker(position: slot.position, pid: slot.pid, state: slot.phase,
                                      tasksDone: slot.tasksDone, restarts: slot.restarts, lastExit: slot.lastExit,
                                      running: slot.running.count)
                },
                queued: state.queue.count,
                running: state.inFlight,
                failure: state.failure)
        }
    }
}
