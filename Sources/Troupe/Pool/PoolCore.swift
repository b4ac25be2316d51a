import DequeModule
import Logging
import Synchronization
import TroupeWire

/// The supervisor behind a ``Pool``: it carries out what its ``PoolStateMachine`` decides,
/// with real processes, tasks and calls. Its state sits behind one lock; the tasks it runs
/// live on the mailbox's executor, so that a task's call leaves with the next turn of the
/// mailbox, batched with the others, and its reply resumes it with no thread hop. A
/// synchronous `apply` runs its work in its own task instead (``runHere(retryable:timeout:_:)``),
/// whose calls leave from and return to the caller's thread.
///
/// It knows nothing of the worker type (so that none of its code runs generic): ``Pool``
/// gives it the work as closures over worker positions, and the way to start a worker.
final class PoolCore: LaneRouter, Sendable {
    typealias JobID = PoolStateMachine.JobID

    /// A task's work, its type erased.
    struct JobEntry: Sendable {
        /// Runs the work against the worker reference of a position; sets the result when
        /// it succeeds, returns the error it failed with otherwise.
        let execute: nonisolated(nonsending) @Sendable (Int) async -> (any Error)?
        /// Ends the result with an error.
        let fail: @Sendable (any Error) -> Void
    }

    /// How to start one worker process of the pool's type, and prepare it.
    struct WorkerStarter: Sendable {
        /// Starts a process and returns once it is ready.
        let launch: @Sendable (WorkerLauncher) async throws -> WorkerLauncher.Started
        /// Runs the pool's initializer against the process's own actor.
        let initialize: (@Sendable (WorkerLauncher.Started) async throws -> Void)?
    }

    /// What serves a position now: a local worker process, or a lane of requests to a
    /// service behind a standalone supervisor.
    struct WorkerHandle: Sendable {
        let peer: PeerAddress
        let actor: UInt64
        let node: String
        let child: ChildProcess?
        let progress: CallProgress?
    }

    /// A class: the job table holds one reference per task, and reading or changing an entry
    /// neither copies nor retains each of its fields. Only touched under the pool's lock.
    private final class RunningJob {
        let entry: JobEntry
        /// When it was submitted, for the latency metric.
        let submitted: ContinuousClock.Instant
        /// Its `task` span, when a tracer was in force where it was submitted.
        var trace: TaskTrace?
        /// The runner running its work, once it runs.
        var runner: Runner?
        /// The task that runs this work itself (a synchronous `apply`), if one does.
        let host: HostRunner?
        var lastError: (any Error)?
        /// How many calls its work made (a job that made none never reached a worker).
        var callsMade = 0

        init(entry: JobEntry, submitted: ContinuousClock.Instant, trace: TaskTrace?, host: HostRunner?) {
            self.entry = entry
            self.submitted = submitted
            self.trace = trace
            self.host = host
        }
    }

    private struct State {
        var machine: PoolStateMachine
        var entries = JobTable<RunningJob>()
        var workers: [Int: WorkerHandle] = [:] {
            // Counted here, when workers change, not at every report.
            didSet { liveWorkerCount = workers.values.count { $0.child != nil } }
        }
        private var liveWorkerCount = 0
        var joinWaiters: [CheckedContinuation<Void, Never>] = []
        var watching = false
        /// Work handed to no runner yet.
        var ready: Deque<(JobID, position: Int)> = []
        /// Runners waiting for work.
        var idleRunners: [UnsafeContinuation<(JobID, position: Int)?, Never>] = []
        /// The pool has ended: runners stop.
        var runnersStop = false
        /// The pool's share of the process's level metrics.
        var queuedLevel: TroupeMetrics.Level
        var runningLevel: TroupeMetrics.Level
        var workersLevel: TroupeMetrics.Level

        init(machine: PoolStateMachine, metrics: TroupeMetrics) {
            self.machine = machine
            queuedLevel = TroupeMetrics.Level(metrics.tasksQueued)
            runningLevel = TroupeMetrics.Level(metrics.tasksRunning)
            workersLevel = TroupeMetrics.Level(metrics.workersAlive)
        }

        /// Reports the queue, running tasks and live workers to the level metrics.
        mutating func reportLevels() {
            let finished = machine.isFinished
            queuedLevel.set(finished ? 0 : machine.queuedCount)
            runningLevel.set(finished ? 0 : machine.runningCount)
            workersLevel.set(finished ? 0 : liveWorkerCount)
        }
    }

    /// A long-lived task on the mailbox's executor that runs the pool's work, one task after
    /// another: handing work to a waiting runner costs a resumption, where a task of its own
    /// would cost a creation and a destruction.
    private final class Runner: Sendable {
        private struct State {
            var task: Task<Void, Never>?
            var current: JobID?
        }

        private let state = Mutex(State())

        func started(_ task: Task<Void, Never>) { state.withLock { $0.task = task } }
        func begin(_ id: JobID) { state.withLock { $0.current = id } }
        func end() { state.withLock { $0.current = nil } }

        /// Cancels the runner if it still runs the work of `id` (it then ends after it).
        func stop(_ id: JobID) {
            state.withLock { state in
                if state.current == id { state.task?.cancel() }
            }
        }
    }

    /// The calling task of a synchronous `apply`, which runs its work itself wherever the
    /// pool hands it (again elsewhere, for retryable work whose worker died), so that its
    /// calls leave from, and their replies come back to, the caller's own thread.
    final class HostRunner: Sendable {
        private struct State {
            /// Where the pool handed the work and the host has yet to run it. A later hand-over
            /// (its worker died before the work began) replaces it: the work's calls go where
            /// the task is now in any case (see `route(position:owner:)`).
            var position: Int?
            var waiter: UnsafeContinuation<Int?, Never>?
            var ended = false
        }

        private let state = Mutex(State())

        /// The pool hands the work to the worker at `position`.
        func assign(_ position: Int) {
            let waiter = state.withLock { state -> UnsafeContinuation<Int?, Never>? in
                guard let waiter = state.waiter else {
                    state.position = position
                    return nil
                }
                state.waiter = nil
                return waiter
            }
            waiter?.resume(returning: position)
        }

        /// The task has ended (delivered or failed): the host stops waiting.
        func end() {
            let waiter = state.withLock { state -> UnsafeContinuation<Int?, Never>? in
                state.ended = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }

        /// Where to run the work next, or nil once the task has ended. (A continuation
        /// resumed in its own body does not suspend the task.)
        func next() async -> Int? {
            await withUnsafeContinuation { continuation in
                let now = state.withLock { state -> Int?? in
                    if let position = state.position {
                        state.position = nil
                        return .some(position)
                    }
                    if state.ended { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let now { continuation.resume(returning: now) }
            }
        }
    }

    let system: TroupeActorSystem
    let options: PoolOptions
    /// Where the pool records its metrics.
    private let metrics: TroupeMetrics
    /// Where the pool logs (worker deaths, failed starts).
    private let logger: Logger
    let processCount: Int
    let number: UInt64
    private let starter: WorkerStarter
    private let launcher: WorkerLauncher
    private let state: Mutex<State>
    private let lastGroup = Atomic<UInt64>(0)

    init(system: TroupeActorSystem, number: UInt64, processes: Int, maxTasksPerChild: Int?,
         starter: WorkerStarter, options: PoolOptions, ownsProcesses: Bool = true, logger: Logger? = nil) {
        self.system = system
        var logger = logger ?? system.logger
        logger[metadataKey: "troupe.pool"] = "\(number)"
        self.logger = logger
        self.options = options
        self.processCount = processes
        self.starter = starter
        var launcher = WorkerLauncher(system: system)
        launcher.startTimeout = options.startTimeout
        self.launcher = launcher
        self.number = number
        let metrics = TroupeMetrics.current
        self.metrics = metrics
        state = Mutex(State(machine: PoolStateMachine(PoolStateMachine.Configuration(
            positions: processes, maxTasksPerChild: maxTasksPerChild, pipelineDepth: max(1, options.pipelineDepth),
            slowTaskLimit: options.pipelineAgeLimit, restartIntensity: options.restartIntensity,
            maxRetries: options.maxRetries, ownsProcesses: ownsProcesses)), metrics: metrics))
        system.lanes.register(self, as: number)
    }

    deinit {
        system.lanes.unregister(number)
        if state.withLock({ $0.watching }) { system.transport.endFastTicks() }
    }

    // MARK: Starting

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
    }

    /// Makes every position a lane of requests to `service` behind a standalone supervisor.
    func startLanes(peer: PeerAddress) {
        state.withLock { state in
            for position in 0..<processCount {
                state.workers[position] = WorkerHandle(peer: peer, actor: 0, node: "lane-\(position)", child: nil, progress: nil)
            }
        }
    }

    /// Starts the process for `position`, runs the initializer on it, and lets it take work.
    private func startWorker(at position: Int) async throws {
        let launched = try await starter.launch(launcher)
        launched.child.onExit { [weak self] status in
            self?.workerExited(position: position, pid: launched.child.pid, status: status)
        }
        if let initialize = starter.initialize {
            do {
                try await initialize(launched)
            } catch {
                launched.child.send(.kill)
                throw TroupeError(.workerStartFailed, "the pool's initializer failed in worker \(launched.child.pid): \(error)",
                                  context: ["pid": "\(launched.child.pid)"])
            }
        }
        let handle = WorkerHandle(peer: launched.peer, actor: launched.actorNumber, node: launched.node,
                                  child: launched.child, progress: launched.progress)
        let actions = state.withLock { state -> [PoolStateMachine.Action] in
            state.workers[position] = handle
            return state.machine.workerStarted(position: position, pid: launched.child.pid)
        }
        perform(actions)
    }

    private func replaceWorker(at position: Int, after pause: Duration) {
        Task {
            if pause > .zero { try? await Task.sleep(for: pause) }
            state.withLock { $0.machine.workerStarting(position: position) }
            do {
                try await self.startWorker(at: position)
            } catch {
                let failure = (error as? TroupeError) ?? TroupeError(.workerStartFailed, "\(error)")
                logger.error("worker start failed", metadata: ["troupe.error": "\(failure)"])
                perform(state.withLock { $0.machine.workerStartFailed(position: position, error: failure, now: .now) })
            }
        }
    }

    // MARK: Submitting

    /// Queues a task.
    /// - Returns: its id, to cancel it with.
    /// - Throws: ``TroupeError`` `.closed` after `close()` or `terminate()`, or the reason
    ///   the pool stopped on its own.
    @discardableResult
    func submit(retryable: Bool, timeout: Duration? = nil, group: UInt64? = nil, host: HostRunner? = nil,
                _ entry: JobEntry) throws -> JobID {
        let trace = TroupeTracing.isEnabled ? TroupeTracing.startTask(pool: number, retryable: retryable, timeout: timeout) : nil
        let (id, actions): (JobID, [PoolStateMachine.Action])
        do {
            (id, actions) = try state.withLock { state throws(TroupeError) -> (JobID, [PoolStateMachine.Action]) in
                let (id, actions) = try state.machine.submit(retryable: retryable, timeout: timeout, group: group)
                state.entries[id] = RunningJob(entry: entry, submitted: .now, trace: trace, host: host)
                return (id, actions)
            }
        } catch {
            trace.map { TroupeTracing.end($0.span, error: error) }
            throw error
        }
        trace?.span.attributes["troupe.task"] = Int64(truncatingIfNeeded: id)
        metrics.taskSubmitted()
        perform(actions)
        return id
    }

    /// Submits a task and runs its work in the calling task, each time the pool hands it a
    /// worker; returns once the task has ended (its result is then set).
    /// - Throws: as ``submit(retryable:timeout:group:host:_:)``.
    func runHere(retryable: Bool, timeout: Duration?, _ entry: JobEntry) async throws {
        let host = HostRunner()
        let id = try submit(retryable: retryable, timeout: timeout, host: host, entry)
        await withTaskCancellationHandler {
            while let position = await host.next() {
                await execute(id, at: position, runner: nil)
            }
        } onCancel: {
            cancel(jobID: id)
        }
    }

    /// Reserves `count` chunk numbers for a map: the first one is returned.
    func reserveGroups(_ count: Int) -> UInt64 {
        lastGroup.add(UInt64(count), ordering: .relaxed).newValue - UInt64(count) + 1
    }

    /// Withdraws a queued task, or stops a running one (its worker must then let go of it).
    func cancel(jobID: JobID) {
        perform(state.withLock { $0.machine.cancel(jobID) })
    }

    /// Withdraws or stops many tasks at once (a cancelled map).
    func cancel(jobIDs: [JobID]) {
        perform(state.withLock { state in jobIDs.flatMap { state.machine.cancel($0) } })
    }

    /// Throws the error new work would meet now (see ``submit(retryable:timeout:group:_:)``).
    func checkAccepting() throws(TroupeError) {
        try state.withLock { state throws(TroupeError) in try state.machine.checkAccepting() }
    }

    /// A task's work ended.
    private func jobEnded(_ id: JobID, error: (any Error)?) {
        let ending: PoolStateMachine.Ending
        if error == nil {
            ending = .succeeded
        } else if let failure = error as? TroupeError, failure.code == .workerCrashed || failure.code == .workerLost {
            ending = .workerDied
        } else {
            ending = .failed
        }
        let actions = state.withLock { state -> [PoolStateMachine.Action] in
            state.entries[id]?.lastError = error
            return state.machine.jobEnded(id, ending)
        }
        perform(actions)
    }

    // MARK: Carrying out actions

    private func perform(_ actions: [PoolStateMachine.Action]) {
        // The machine has already moved: report before a join waiter is woken.
        state.withLock { $0.reportLevels() }
        carryOut(actions)
    }

    private func carryOut(_ actions: [PoolStateMachine.Action]) {
        for action in actions {
            switch action {
            case .run(let id, let position):
                run(id, at: position)
            case .resend(let id, let position):
                resend(id, to: position)
            case .deliver(let id):
                if let ended = state.withLock({ $0.entries.removeValue(forKey: id) }) {
                    if let error = ended.lastError { ended.entry.fail(error) }
                    ended.host?.end()
                    ended.trace.map { TroupeTracing.end($0.span, error: ended.lastError) }
                    metrics.taskEnded(error: ended.lastError, after: .now - ended.submitted)
                }
            case .fail(let id, let error):
                if let ended = state.withLock({ $0.entries.removeValue(forKey: id) }) {
                    ended.entry.fail(error)
                    ended.host?.end()
                    ended.trace.map { TroupeTracing.end($0.span, error: error) }
                    metrics.taskEnded(error: error, after: .now - ended.submitted)
                }
            case .stop(let id):
                // The runner is cancelled with its work; it ends after it, and a fresh one
                // takes its place.
                let (runner, hosted) = state.withLock { ($0.entries[id]?.runner, $0.entries[id]?.host != nil) }
                runner?.stop(id)
                // A caller's own task cannot be cancelled for it: its calls are.
                if hosted { system.cancelCalls(ownedBy: CallOwner(pool: number, job: id)) }
            case .startDeadline(let id, let timeout):
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard let self else { return }
                    self.perform(self.state.withLock { $0.machine.deadlinePassed(id) })
                }
            case .startWorker(let position, let pause):
                replaceWorker(at: position, after: pause)
            case .disconnect(let position):
                if let worker = worker(at: position), worker.child != nil {
                    system.send(.disconnect(reason: DisconnectReason.done), to: worker.peer)
                }
            case .kill(let position):
                worker(at: position)?.child?.send(.kill)
            case .terminateWorkers:
                let children = state.withLock { $0.workers.values.compactMap(\.child) }
                Teardown.terminate(children, gracePeriod: options.terminateGracePeriod)
            case .confirmRelease(let position):
                confirmRelease(at: position)
            case .withdraw(let position, let jobs):
                withdraw(jobs, from: position)
            case .finished:
                let (waiters, runners) = state.withLock { state in
                    defer {
                        state.joinWaiters.removeAll()
                        state.idleRunners.removeAll()
                        state.runnersStop = true
                    }
                    return (state.joinWaiters, state.idleRunners)
                }
                for runner in runners { runner.resume(returning: nil) }
                for waiter in waiters { waiter.resume() }
            }
        }
        updateWatching()
    }

    private func worker(at position: Int) -> WorkerHandle? {
        state.withLock { $0.workers[position] }
    }

    /// Hands a task's work to a waiting runner, or to a new one.
    private func run(_ id: JobID, at position: Int) {
        let (host, waiting) = state.withLock { state -> (HostRunner?, UnsafeContinuation<(JobID, position: Int)?, Never>?) in
            if let host = state.entries[id]?.host { return (host, nil) }
            if let runner = state.idleRunners.popLast() { return (nil, runner) }
            state.ready.append((id, position))
            return (nil, nil)
        }
        if let host {
            host.assign(position)
        } else if let waiting {
            waiting.resume(returning: (id, position))
        } else {
            startRunner()
        }
    }

    private func startRunner() {
        let runner = Runner()
        // Detached: a runner outlives the submission that started it, and must not keep that
        // task's task-locals (a tracer bound with `withTracer` would trace later tasks).
        let task = Task.detached(executorPreference: system.executor) { [weak self] in
            guard let self else { return }
            await self.serve(as: runner)
        }
        runner.started(task)
    }

    /// A runner's loop: the next task's work, with its calls tagged as the task's.
    private nonisolated(nonsending) func serve(as runner: Runner) async {
        while true {
            // Work already queued is taken without a suspension point: each one costs an
            // executor check.
            var work = state.withLock { $0.ready.popFirst() }
            if work == nil { work = await waitForWork() }
            guard let (id, position) = work else { return }
            await execute(id, at: position, runner: runner)
            // A runner whose work was stopped stays cancelled: it leaves the work to others.
            if Task.isCancelled { return }
        }
    }

    /// Runs the work of task `id` against the worker at `position`, with its calls tagged as
    /// the task's, and reports its end: on a runner, or in the task that hosts it.
    private func execute(_ id: JobID, at position: Int, runner: Runner?) async {
        let (entry, trace, interrupted) = state.withLock { state -> (JobEntry?, TaskTrace?, Bool) in
            let job = state.entries[id]
            if let runner { job?.runner = runner }
            return (job?.entry, job?.trace, state.machine.job(id)?.interruption != nil)
        }
        guard let entry else { return }
        if interrupted {
            // Stopped before it began: it ends without running.
            jobEnded(id, error: TroupeError(.cancelled, "the task was stopped before it began"))
            return
        }
        let owner = CallOwner(pool: number, job: id)
        runner?.begin(id)
        let error = await PoolTaskContext.$current.withValue(owner) {
            guard let trace else { return await entry.execute(position) }
            // Its calls are children of its span, made with the tracer it was submitted under.
            trace.started(position: position)
            return await trace.run { await entry.execute(position) }
        }
        runner?.end()
        jobEnded(id, error: error)
    }

    /// The next work once some is queued, or nil once the runners are to stop.
    private nonisolated(nonsending) func waitForWork() async -> (JobID, position: Int)? {
        await withUnsafeContinuation { continuation in
            let now = state.withLock { state -> (JobID, position: Int)?? in
                if let ready = state.ready.popFirst() { return .some(ready) }
                if state.runnersStop { return .some(nil) }
                state.idleRunners.append(continuation)
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Sends a task's parked calls to the worker at `position`.
    private func resend(_ id: JobID, to position: Int) {
        let (handedHere, worker) = state.withLock { ($0.machine.position(of: id) == position, $0.workers[position]) }
        // Handed elsewhere since (its worker here died and it went back to the queue).
        guard handedHere else { return }
        guard let worker else {
            // Its worker died after the task was handed to it: the task waits for another.
            perform(state.withLock { $0.machine.position(of: id) == position ? $0.machine.callParked(job: id) : [] })
            return
        }
        for callID in system.calls.parked(ownedBy: CallOwner(pool: number, job: id)) {
            if let call = system.calls.takeForResending(callID, to: worker.peer, actor: worker.actor) {
                system.transmit(.call(call), to: worker.peer, callID: callID)
            }
        }
    }

    /// Takes back tasks queued in a worker behind a slow one.
    private func withdraw(_ jobs: [JobID], from position: Int) {
        guard let worker = worker(at: position) else { return }
        let owners = Set(jobs.map { CallOwner(pool: number, job: $0) })
        let callIDs = system.calls.outstanding(to: worker.peer).compactMap { call in
            call.owner.map(owners.contains) == true ? call.id : nil
        }
        if !callIDs.isEmpty { system.send(.withdraw(callIDs: callIDs), to: worker.peer) }
    }

    /// Waits for a worker to finish a call it was told to stop; it is killed when it does
    /// not within the grace period (work that ignores cancellation), and replaced.
    private func confirmRelease(at position: Int) {
        guard let worker = worker(at: position) else { return }
        let grace = options.cancelGracePeriod
        Task {
            let released = await self.system.sync(with: worker.peer, timeout: grace)
            if !released, let child = worker.child {
                self.logger.info("worker did not stop its cancelled call; killing it", metadata: ["troupe.pid": "\(child.pid)"])
            }
            self.perform(self.state.withLock { $0.machine.releaseConfirmed(position: position, released: released) })
        }
    }

    /// Asks for fast ticks while some worker holds work behind its current task.
    private func updateWatching() {
        let change = state.withLock { state -> Bool? in
            let needed = state.machine.needsWatching && state.machine.configuration.ownsProcesses
            guard needed != state.watching else { return nil }
            state.watching = needed
            return needed
        }
        switch change {
        case true?: system.transport.beginFastTicks()
        case false?: system.transport.endFastTicks()
        case nil: break
        }
    }

    // MARK: Worker exits

    private func workerExited(position: Int, pid: Int32, status: ExitStatus) {
        // Let the mailbox take in what the worker sent before it died (replies to calls
        // that finished), then decide which tasks were lost.
        guard let peer = state.withLock({ $0.workers[position]?.child?.pid == pid ? $0.workers[position]?.peer : nil }) else {
            system.executor.afterNextTurn { [weak self] in self?.handleExit(position: position, pid: pid, status: status) }
            return
        }
        system.transport.whenDeparted(peer) { [weak self] in
            self?.system.executor.afterNextTurn { [weak self] in
                self?.handleExit(position: position, pid: pid, status: status)
            }
        }
    }

    private func handleExit(position: Int, pid: Int32, status: ExitStatus) {
        // One step under the pool's lock, so that no task is handed to the position between
        // the worker's removal and the machine learning of the exit.
        let shuttingDown = SignalHandling.isShuttingDown
        guard let (worker, expected, actions) = state.withLock({ state -> (WorkerHandle, Bool, [PoolStateMachine.Action])? in
            guard let worker = state.workers[position], worker.child?.pid == pid else { return nil }
            state.workers[position] = nil
            let unstarted = unstartedTasks(of: worker, at: position, state: state)
            let expected = state.machine.slots[position].phase == .leaving
            let actions = state.machine.workerExited(position: position, pid: pid, status: status, unstarted: unstarted,
                                                     shuttingDown: shuttingDown, now: .now)
            return (worker, expected, actions)
        }) else { return }
        if !expected && !shuttingDown {
            metrics.workerRestarted()
            logger.info("worker exited unexpectedly", metadata: ["troupe.pid": "\(pid)", "troupe.status": "\(status)"])
        }
        system.routes.remove(for: worker.node)
        system.peerLost(worker.peer, error: TroupeError(
            .workerCrashed, "worker process \(pid) \(status) while it ran the task",
            context: ["pid": "\(pid)", "worker": "\(position)"]))
        system.routes.forgetUnreachable(worker.peer)
        perform(actions)
    }

    /// The tasks at `position` that never started in the worker that died there; their calls
    /// to it are parked, to be sent again where the task runs next.
    ///
    /// A task started when the worker recorded one of its calls, or a call sent before that
    /// one (calls run one at a time, in order). A task none of whose calls reached the worker
    /// (parked, or sent after the last recorded start) never started.
    private func unstartedTasks(of worker: WorkerHandle, at position: Int, state: State) -> Set<JobID> {
        let lastStarted = worker.progress?.lastStarted ?? 0
        let outstanding = system.calls.outstanding(to: worker.peer)
        let cut = outstanding.firstIndex { $0.id == lastStarted }
        var started = Set<JobID>()
        var notStarted: [JobID: [UInt64]] = [:]
        for (index, call) in outstanding.enumerated() {
            guard let owner = call.owner, owner.pool == number else { continue }
            if let cut, index <= cut { started.insert(owner.job) } else { notStarted[owner.job, default: []].append(call.id) }
        }
        var unstarted = Set<JobID>()
        for id in state.machine.slots[position].running where !started.contains(id) {
            // A task whose earlier call was answered had reached the worker.
            let made = state.entries[id]?.callsMade ?? 0
            let parked = system.calls.parked(ownedBy: CallOwner(pool: number, job: id)).count
            if made == (notStarted[id]?.count ?? 0) + parked { unstarted.insert(id) }
        }
        for id in unstarted { for callID in notStarted[id] ?? [] { system.calls.park(callID) } }
        return unstarted
    }

    // MARK: LaneRouter

    func route(position: Int, owner: CallOwner?) -> LaneRoute {
        state.withLock { state in
            var target = position
            if let owner {
                guard let job = state.machine.job(owner.job) else {
                    return .fail(TroupeError(.cancelled, "the task this call belongs to has ended"))
                }
                if job.interruption != nil, state.entries[owner.job]?.host != nil {
                    // A hosted task was stopped (its caller's task goes on): it calls no more.
                    return .fail(TroupeError(.cancelled, "the task this call belongs to was stopped"))
                }
                state.entries[owner.job]?.callsMade += 1
                switch job.place {
                case .running(let at):
                    target = at
                    // Behind a slow task, the call would only wait: it goes elsewhere.
                    if state.machine.slots[at].slow, state.machine.slots[at].current?.job != owner.job { return .wait }
                case .queued, .backlog:
                    return .wait
                }
            }
            guard let worker = state.workers[target] else {
                if owner != nil { return .wait }
                return .fail(TroupeError(.workerCrashed, "worker position \(target) of the pool has no process right now: use a worker reference only inside the work handed to its pool",
                                         context: ["worker": "\(target)"]))
            }
            return .send(worker.peer, actor: worker.actor)
        }
    }

    func callParked(_ callID: UInt64, owner: CallOwner) {
        perform(state.withLock { $0.machine.callParked(job: owner.job) })
    }

    func tick(now: ContinuousClock.Instant) {
        let pages = state.withLock { state -> [(Int, CallProgress)] in
            guard state.watching else { return [] }
            return state.workers.compactMap { position, worker in worker.progress.map { (position, $0) } }
        }
        guard !pages.isEmpty else { return }
        var current: [Int: JobID?] = [:]
        for (position, page) in pages {
            let owner = system.calls.owner(of: page.lastStarted)
            current[position] = owner?.pool == number ? owner?.job : nil
        }
        perform(state.withLock { $0.machine.tick(now: now, current: current) })
    }

    // MARK: close / terminate / join

    func close() {
        perform(state.withLock { $0.machine.close() })
    }

    func terminate() {
        perform(state.withLock { $0.machine.terminate(failing: TroupeError(.terminated, "the pool was terminated before the task ran")) })
    }

    /// Waits until every worker has exited.
    func join() async throws {
        let phase = state.withLock { $0.machine.phase }
        if phase == .running {
            throw TroupeError(.invalidState, "join() was called on a running pool: call close() or terminate() first")
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.machine.isFinished { return true }
                state.joinWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Stops every worker now, without waiting (a pool dropped without join).
    func abandon() {
        terminate()
    }

    // MARK: Status

    /// What the pool is doing now.
    func status() -> PoolStatus {
        let pages = state.withLock { $0.workers.compactMapValues(\.progress) }
        // A worker runs the task whose call it started last, until that call is answered.
        var runningNow: [Int: JobID] = [:]
        for (position, page) in pages {
            if let owner = system.calls.owner(of: page.lastStarted), owner.pool == number { runningNow[position] = owner.job }
        }
        return state.withLock { state in
            let machine = state.machine
            return PoolStatus(
                phase: machine.publicPhase,
                workers: machine.slots.map { slot in
                    let held = slot.running.count
                    let started = state.workers[slot.position]?.progress == nil ? min(held, 1)
                        : (runningNow[slot.position].map { slot.running.contains($0) } == true ? 1 : 0)
                    return PoolStatus.Worker(position: slot.position, pid: slot.pid, state: WorkerState(slot),
                                             tasksDone: slot.tasksDone, restarts: slot.restarts, lastExit: slot.lastExit,
                                             running: started, prefetched: held - started)
                },
                queued: machine.queuedCount,
                failure: machine.failure)
        }
    }
}

extension WorkerState {
    /// The public state of a worker position.
    init(_ slot: PoolStateMachine.Slot) {
        switch slot.phase {
        case .starting, .restartPending: self = .starting
        case .serving: self = slot.running.isEmpty ? .idle : .busy
        case .draining: self = .draining
        case .retiring: self = .retiring
        case .leaving: self = .stopping
        case .exited: self = .exited
        }
    }
}
