import DequeModule

/// The decisions of a pool, with no process, task, lock or clock of its own: events go in
/// (a task submitted, a task ended, a worker ready or exited, a deadline, a tick), and
/// actions come out (run this task there, fail that one, start a worker, withdraw calls).
/// ``PoolCore`` feeds it under one lock and carries the actions out.
///
/// Work moves through three places: the pool's queue; a worker position's backlog (the rest
/// of a map chunk handed to that worker, not yet started); and the position's running
/// tasks, whose calls are on their way to, queued in, or running in the worker process.
/// A worker holds up to ``Configuration/pipelineDepth`` running tasks (prefetch), and knows
/// which one it is running (``CallProgress``), so that:
/// - when it dies, the task it was running fails (or runs again, if retryable) and the ones
///   queued behind it go back to the front of the pool's queue, unharmed and uncounted;
/// - when one task runs longer than ``Configuration/slowTaskLimit``, the worker gets no
///   more work, and the tasks queued behind it are withdrawn and go to other workers.
struct PoolStateMachine {
    typealias JobID = UInt64

    struct Configuration: Sendable {
        /// How many worker positions.
        var positions: Int
        /// A worker process is replaced after starting this many tasks.
        var maxTasksPerChild: Int?
        /// The most tasks a worker holds at once.
        var pipelineDepth: Int
        /// How long one task may run before the work queued behind it is taken back.
        var slowTaskLimit: Duration
        /// How deaths at start-up or while idle are paced and limited.
        var restartIntensity: RestartIntensity
        /// How many more times a retryable task may run after its worker died under it.
        var maxRetries: Int
        /// False for a pool whose positions are lanes to a standalone supervisor: they have
        /// no process to start, stop or lose.
        var ownsProcesses: Bool
    }

    enum Phase: String, Sendable, Equatable { case running, closed, terminating, terminated }

    /// Why a running task was stopped.
    enum Interruption: Equatable { case cancelled, timedOut(Duration) }

    /// Where a task is.
    enum Place: Equatable {
        case queued
        case backlog(Int)
        case running(Int)
    }

    struct Job {
        let id: JobID
        let retryable: Bool
        var retriesLeft: Int
        let timeout: Duration?
        /// The map chunk it belongs to: a chunk goes to one worker.
        let group: UInt64?
        var place: Place = .queued
        /// Its calls never started where they were sent and wait, parked, to be sent again.
        var stranded = false
        var interruption: Interruption?
    }

    /// What a worker position's process is doing.
    enum WorkerPhase: Equatable {
        /// Its process is being started.
        case starting
        /// Waiting out the restart back-off before a new process is started.
        case restartPending
        /// Taking work.
        case serving
        /// It was told to stop a task, and must show it has let go before it gets more.
        case draining
        /// It reached `maxTasksPerChild`: it finishes its tasks, then leaves.
        case retiring
        /// It was told to leave (or killed); its exit is expected.
        case leaving
        /// No process, and none will come.
        case exited
    }

    struct Slot {
        let position: Int
        var phase: WorkerPhase = .starting
        var pid: Int32?
        /// Tasks started by the current process.
        var tasksStarted = 0
        /// Tasks ended at this position, over all its processes.
        var tasksDone = 0
        /// Processes replaced after an unexpected death.
        var restarts = 0
        var lastExit: ExitStatus?
        var lastPID: Int32?
        var backlog: Deque<JobID> = []
        /// Running tasks, in the order they were handed over.
        var running: [JobID] = []
        /// The task the worker was last seen running, and since when.
        var current: (job: JobID, since: ContinuousClock.Instant)?
        /// Its current task has run too long: it gets no work until that one ends.
        var slow = false

        var load: Int { running.count + backlog.count }
        var hasProcess: Bool { pid != nil }
        var acceptsWork: Bool { phase == .serving && !slow }
    }

    /// What ``PoolCore`` must do.
    enum Action: Equatable {
        /// Run the task's work against position `position`'s worker.
        case run(JobID, position: Int)
        /// Send the task's parked calls to position `position`'s worker.
        case resend(JobID, position: Int)
        /// The task ended with the outcome its work produced: hand it over.
        case deliver(JobID)
        /// The task ended (or will never run): fail its result with this error.
        case fail(JobID, TroupeError)
        /// Cancel the task's running work.
        case stop(JobID)
        /// Fail the task with `.timeout` after this long, unless it ended.
        case startDeadline(JobID, Duration)
        /// Start a process for the position, after this pause.
        case startWorker(position: Int, after: Duration)
        /// Ask the position's worker to leave once its calls are done.
        case disconnect(position: Int)
        /// Kill the position's worker process.
        case kill(position: Int)
        /// Stop every worker process: SIGTERM, then SIGKILL after the grace period.
        case terminateWorkers
        /// Ask the worker whether it let go of the task it was told to stop.
        case confirmRelease(position: Int)
        /// Take back these tasks, queued in the position's worker behind a slow one.
        case withdraw(position: Int, jobs: [JobID])
        /// Every worker has exited: `join()` may return.
        case finished
    }

    /// How a task's work ended, as the pool must know it.
    enum Ending: Equatable {
        /// Its work returned.
        case succeeded
        /// Its worker died or was lost under it.
        case workerDied
        /// Its work failed otherwise.
        case failed
    }

    let configuration: Configuration
    private(set) var phase = Phase.running
    /// Whether the pool ended by `close()`, all its work done (not by `terminate()`).
    private(set) var endedByClose = false
    /// Why the pool stopped on its own (too many restarts), if it did.
    private(set) var failure: TroupeError?
    private(set) var startFailure: TroupeError?
    private(set) var slots: [Slot]
    private(set) var queue: Deque<JobID> = []
    private(set) var jobs = JobTable<Job>()
    private var restarts: RestartCounter
    private var lastJobID: JobID = 0

    init(_ configuration: Configuration) {
        self.configuration = configuration
        slots = (0..<configuration.positions).map { Slot(position: $0) }
        restarts = RestartCounter(configuration.restartIntensity)
        if !configuration.ownsProcesses {
            for index in slots.indices { slots[index].phase = .serving }
        }
    }

    // MARK: Queries

    var queuedCount: Int {
        var count = queue.count
        // By index: a slot is not copied to be counted.
        for index in slots.indices { count += slots[index].backlog.count }
        return count
    }
    var runningCount: Int {
        var count = 0
        for index in slots.indices { count += slots[index].running.count }
        return count
    }
    var hasLiveWorker: Bool { slots.contains { $0.phase != .exited } }
    var isFinished: Bool { phase == .terminated }

    func job(_ id: JobID) -> Job? { jobs[id] }

    /// The phase as ``PoolStatus`` reports it.
    var publicPhase: PoolStatus.Phase {
        if failure != nil { return .failed }
        switch phase {
        case .running: return .running
        case .closed: return .closing
        case .terminating: return .terminating
        case .terminated: return endedByClose ? .closed : .terminated
        }
    }

    /// The position a task runs at, if it runs.
    func position(of id: JobID) -> Int? {
        if case .running(let position)? = jobs[id]?.place { return position }
        return nil
    }

    // MARK: Submitting

    /// Throws the error new work would meet now: the pool is closed, terminated, failed, or
    /// has no worker left.
    func checkAccepting() throws(TroupeError) {
        if let failure { throw failure }
        guard phase == .running else {
            let state = phase == .closed || endedByClose ? "closed" : "terminated"
            throw TroupeError(.closed, "the pool is \(state): submit work before close(), or create a new pool")
        }
        if let startFailure, !hasLiveWorker {
            throw TroupeError(.workerStartFailed, "the pool has no worker left: \(startFailure.message)")
        }
    }

    /// Queues a task.
    /// - Returns: its id and what to do now.
    /// - Throws: ``TroupeError`` `.closed` after close or terminate, the reason the pool
    ///   stopped on its own, or `.workerStartFailed` when no worker is left.
    mutating func submit(retryable: Bool, timeout: Duration? = nil, group: UInt64? = nil) throws(TroupeError) -> (JobID, [Action]) {
        try checkAccepting()
        lastJobID += 1
        let id = lastJobID
        jobs[id] = Job(id: id, retryable: retryable, retriesLeft: retryable ? configuration.maxRetries : 0,
                       timeout: timeout, group: group)
        queue.append(id)
        return (id, dispatch())
    }

    // MARK: Workers

    /// A position's new process said it is ready.
    mutating func workerStarted(position: Int, pid: Int32?) -> [Action] {
        slots[position].pid = pid
        slots[position].tasksStarted = 0
        slots[position].current = nil
        slots[position].slow = false
        guard phase == .running || phase == .closed else {
            slots[position].phase = .leaving
            return [.kill(position: position)]
        }
        if slots[position].phase == .leaving {
            return [.disconnect(position: position)]
        }
        slots[position].phase = .serving
        var actions = dispatch()
        actions += finishIfDone()
        return actions
    }

    /// A position's replacement process could not be started: a death at start-up, counted
    /// against the restart intensity and tried again after the back-off.
    mutating func workerStartFailed(position: Int, error: TroupeError, now: ContinuousClock.Instant) -> [Action] {
        startFailure = error
        var actions: [Action] = []
        if phase == .running || (phase == .closed && (queuedCount > 0 || runningCount > 0)) {
            slots[position].restarts += 1
            switch restarts.recordDeath(at: now) {
            case .restart(let pause):
                slots[position].phase = pause > .zero ? .restartPending : .starting
                return [.startWorker(position: position, after: pause)]
            case .giveUp(let deaths):
                slots[position].phase = .exited
                let failure = TroupeError(
                    .restartIntensityExceeded,
                    "workers died \(deaths) times within \(configuration.restartIntensity.period) while starting or idle (the last could not start: \(error.message)); "
                        + "the pool stopped. Fix the start-up, or allow more with PoolOptions.restartIntensity")
                self.failure = failure
                return terminate(failing: failure)
            }
        }
        slots[position].phase = .exited
        if !hasLiveWorker {
            // With no worker left to run it, queued work would wait forever: fail it.
            let failure = TroupeError(.workerStartFailed, "no worker is left to run this task: \(error.message)")
            for id in takeAllQueued() { actions.append(.fail(id, failure)); jobs[id] = nil }
        }
        return actions + finishIfDone()
    }

    /// A position's process exited.
    /// - Parameters:
    ///   - unstarted: its running tasks whose work never reached the worker, or was queued
    ///     in it behind the task it died in: they go back to the front of the queue.
    ///   - shuttingDown: the program is ending after a signal: nothing is replaced.
    ///   - now: the time of the exit, for the restart intensity.
    mutating func workerExited(position: Int, pid: Int32, status: ExitStatus, unstarted: Set<JobID>,
                               shuttingDown: Bool, now: ContinuousClock.Instant) -> [Action] {
        guard slots[position].pid == pid else { return [] }
        let expected = slots[position].phase == .leaving || shuttingDown
        var slot = slots[position]
        slot.pid = nil
        slot.lastExit = status
        slot.lastPID = pid
        slot.current = nil
        slot.slow = false
        // Tasks that never started go back to the front of the queue, in their order.
        let stranded = slot.running.filter { unstarted.contains($0) }
        slot.running.removeAll { unstarted.contains($0) }
        let untouched = Array(slot.backlog)
        slot.backlog.removeAll()
        let hadStartedWork = !slot.running.isEmpty
        slots[position] = slot
        for id in stranded.reversed() { requeueAtFront(id, stranded: true) }
        for id in untouched.reversed() { requeueAtFront(id, stranded: false) }

        var actions: [Action] = []
        let workRemains = !queue.isEmpty || hadStartedWork
        let live = phase == .running || (phase == .closed && workRemains)
        if !live || shuttingDown {
            slots[position].phase = .exited
        } else if expected || hadStartedWork {
            // A retiring worker's replacement, or a death while running a task: that task's
            // failure, not the worker's; replaced at once, outside the restart intensity.
            if !expected { slots[position].restarts += 1 }
            slots[position].phase = .starting
            actions.append(.startWorker(position: position, after: .zero))
        } else {
            slots[position].restarts += 1
            switch restarts.recordDeath(at: now) {
            case .restart(let pause):
                slots[position].phase = pause > .zero ? .restartPending : .starting
                actions.append(.startWorker(position: position, after: pause))
            case .giveUp(let deaths):
                slots[position].phase = .exited
                let failure = TroupeError(
                    .restartIntensityExceeded,
                    "workers died \(deaths) times within \(configuration.restartIntensity.period) while starting or idle (the last, process \(pid), \(status)); "
                        + "the pool stopped. Fix the crash, or allow more with PoolOptions.restartIntensity",
                    context: ["pid": "\(pid)"])
                self.failure = failure
                actions += terminate(failing: failure)
                return actions
            }
        }
        actions += dispatch()
        actions += finishIfDone()
        return actions
    }

    /// The position's process is about to be started (its restart pause has passed).
    mutating func workerStarting(position: Int) {
        if slots[position].phase == .restartPending { slots[position].phase = .starting }
    }

    /// A worker told to stop a task answered whether it let go of it in time.
    mutating func releaseConfirmed(position: Int, released: Bool) -> [Action] {
        guard slots[position].phase == .draining else { return [] }
        if released {
            slots[position].phase = .serving
            return dispatch()
        }
        // Work that ignores cancellation: the process is killed and replaced.
        slots[position].phase = .leaving
        return [.kill(position: position)]
    }

    // MARK: Tasks

    /// A task's work ended.
    mutating func jobEnded(_ id: JobID, _ ending: Ending) -> [Action] {
        guard var job = jobs[id] else { return [] }
        var actions: [Action] = []
        var position: Int?
        switch job.place {
        case .running(let at):
            position = at
            slots[at].running.removeAll { $0 == id }
            slots[at].tasksDone += 1
            if slots[at].current?.job == id { slots[at].current = nil; slots[at].slow = false }
        case .backlog(let at):
            slots[at].backlog.removeAll { $0 == id }
        case .queued:
            queue.removeAll { $0 == id }
        }
        if let interruption = job.interruption {
            jobs[id] = nil
            switch interruption {
            case .timedOut(let limit):
                actions.append(.fail(id, TroupeError(.timeout, "the task did not finish within \(limit); it was stopped",
                                                     context: position.map { ["worker": "\($0)"] } ?? [:])))
            case .cancelled:
                actions.append(.fail(id, TroupeError(.cancelled, "the task was cancelled while it ran; its worker was told to stop it")))
            }
            if let position, slots[position].phase == .serving, slots[position].hasProcess {
                // The worker may still run the stopped call: no more work until it lets go.
                slots[position].phase = .draining
                actions.append(.confirmRelease(position: position))
            }
        } else if ending == .succeeded {
            jobs[id] = nil
            actions.append(.deliver(id))
        } else if let failure {
            jobs[id] = nil
            actions.append(.fail(id, failure))
        } else if phase == .terminating || phase == .terminated {
            jobs[id] = nil
            actions.append(.fail(id, TroupeError(.terminated, "the pool was terminated before the task finished")))
        } else if ending == .workerDied, job.retryable, job.retriesLeft > 0 {
            job.retriesLeft -= 1
            jobs[id] = job
            requeueAtFront(id, stranded: false)
        } else {
            jobs[id] = nil
            actions.append(.deliver(id))
        }
        if let position, slots[position].phase == .retiring, slots[position].running.isEmpty {
            slots[position].phase = .leaving
            actions.append(.disconnect(position: position))
        }
        actions += dispatch()
        actions += finishIfDone()
        return actions
    }

    /// A call of a running task never started where it went (withdrawn, or sent nowhere
    /// because the worker was being replaced): the task goes back to the front of the queue.
    mutating func callParked(job id: JobID) -> [Action] {
        guard var job = jobs[id], case .running(let position) = job.place, job.interruption == nil else {
            if let job = jobs[id], job.place == .queued, !job.stranded { jobs[id]?.stranded = true }
            return []
        }
        slots[position].running.removeAll { $0 == id }
        job.place = .queued
        jobs[id] = job
        requeueAtFront(id, stranded: true)
        return dispatch()
    }

    /// The caller gave up on a task: a queued one never runs; a running one is stopped.
    mutating func cancel(_ id: JobID) -> [Action] {
        guard let job = jobs[id] else { return [] }
        switch job.place {
        case .queued:
            queue.removeAll { $0 == id }
            jobs[id] = nil
            return [.fail(id, TroupeError(.cancelled, "the task was cancelled before it started"))] + finishIfDone()
        case .backlog(let position):
            slots[position].backlog.removeAll { $0 == id }
            jobs[id] = nil
            return [.fail(id, TroupeError(.cancelled, "the task was cancelled before it started"))] + finishIfDone()
        case .running:
            guard job.interruption == nil else { return [] }
            jobs[id]?.interruption = .cancelled
            return [.stop(id)]
        }
    }

    /// A running task's time ran out.
    mutating func deadlinePassed(_ id: JobID) -> [Action] {
        guard let job = jobs[id], case .running = job.place, job.interruption == nil, let timeout = job.timeout else { return [] }
        jobs[id]?.interruption = .timedOut(timeout)
        return [.stop(id)]
    }

    /// What each position's worker is running now, as its call-progress page says (nil:
    /// none of this pool's tasks). Takes back the work queued behind a task that has run
    /// longer than the limit.
    mutating func tick(now: ContinuousClock.Instant, current: [Int: JobID?]) -> [Action] {
        var actions: [Action] = []
        var changed = false
        for (position, seen) in current {
            guard slots[position].hasProcess || !configuration.ownsProcesses else { continue }
            guard let job = seen, slots[position].running.contains(job) else {
                slots[position].current = nil
                if slots[position].slow { slots[position].slow = false; changed = true }
                continue
            }
            guard let previous = slots[position].current, previous.job == job else {
                slots[position].current = (job, now)
                if slots[position].slow { slots[position].slow = false; changed = true }
                continue
            }
            guard !slots[position].slow, now - previous.since >= configuration.slowTaskLimit else { continue }
            // Work moves only to a worker that would start it sooner: one with at most one
            // task of its own. When every worker is as busy, moving would only shuffle it.
            guard slots.indices.contains(where: { $0 != position && slots[$0].acceptsWork && slots[$0].load <= 1 }) else { continue }
            slots[position].slow = true
            changed = true
            // The chunk items not handed over yet go back to the queue as they were.
            let untouched = Array(slots[position].backlog)
            slots[position].backlog.removeAll()
            for id in untouched.reversed() { requeueAtFront(id, stranded: false) }
            // The tasks sent after the slow one wait in the worker: ask for them back.
            if let index = slots[position].running.firstIndex(of: job) {
                let behind = Array(slots[position].running[(index + 1)...])
                if !behind.isEmpty { actions.append(.withdraw(position: position, jobs: behind)) }
            }
        }
        if changed || !actions.isEmpty { actions += dispatch() }
        return actions
    }

    /// Whether some position holds work behind its current task (so ticks should watch it).
    var needsWatching: Bool {
        slots.contains { $0.running.count > 1 || !$0.backlog.isEmpty }
    }

    // MARK: Closing and terminating

    /// No new work; queued work still runs; workers leave once it is done.
    mutating func close() -> [Action] {
        if phase == .running { phase = .closed }
        return finishIfDone()
    }

    /// Stops everything now: queued work fails with `error`, running work is stopped and
    /// fails with `.terminated` (or the pool's own failure).
    mutating func terminate(failing error: TroupeError) -> [Action] {
        guard phase == .running || phase == .closed else { return [] }
        phase = .terminating
        var actions: [Action] = []
        for id in takeAllQueued() {
            jobs[id] = nil
            actions.append(.fail(id, error))
        }
        for slot in slots {
            for id in slot.running { actions.append(.stop(id)) }
        }
        if configuration.ownsProcesses { actions.append(.terminateWorkers) }
        for index in slots.indices where slots[index].phase != .exited {
            // A process still starting is killed when it is ready (see `workerStarted`).
            let hasOrGetsProcess = slots[index].hasProcess || slots[index].phase == .starting
            slots[index].phase = hasOrGetsProcess && configuration.ownsProcesses ? .leaving : .exited
        }
        return actions + finishIfDone()
    }

    // MARK: Dispatching

    /// Hands queued work to positions with room, least loaded first.
    private mutating func dispatch() -> [Action] {
        guard phase == .running || phase == .closed else { return [] }
        var actions: [Action] = []
        // Only positions with a backlog have anything to move. (Checked without reading the
        // rest of each slot: a pool connected to a supervisor has hundreds of lanes, and this
        // runs at every task's end.)
        let backlogged = slots.withUnsafeBufferPointer { slots in slots.indices.filter { !slots[$0].backlog.isEmpty } }
        for index in backlogged { fillRunning(index, into: &actions) }
        while !queue.isEmpty {
            guard let index = leastLoadedPositionWithRoom(), let head = queue.popFirst(), let job = jobs[head] else { break }
            if let group = job.group, !job.stranded {
                // A chunk goes to one worker: the rest of it waits in that worker's backlog.
                slots[index].backlog.append(head)
                jobs[head]?.place = .backlog(index)
                while let next = queue.first, let following = jobs[next], following.group == group, !following.stranded {
                    queue.removeFirst()
                    slots[index].backlog.append(next)
                    jobs[next]?.place = .backlog(index)
                }
                fillRunning(index, into: &actions)
            } else {
                start(head, at: index, into: &actions)
            }
        }
        return actions
    }

    /// The position that accepts work, has no backlog and room in its pipeline, with the
    /// fewest tasks (the first of equals). Read in place, slot by slot: copying a slot to
    /// ask it costs more than the whole decision.
    private func leastLoadedPositionWithRoom() -> Int? {
        let depth = configuration.pipelineDepth
        let limit = configuration.ownsProcesses ? configuration.maxTasksPerChild : nil
        return slots.withUnsafeBufferPointer { slots -> Int? in
            var best: Int?
            var bestLoad = Int.max
            for index in slots.indices {
                let slot = slots.baseAddress! + index
                guard slot.pointee.phase == .serving, !slot.pointee.slow, slot.pointee.backlog.isEmpty,
                      slot.pointee.running.count < depth else { continue }
                if let limit, slot.pointee.tasksStarted >= limit { continue }
                let load = slot.pointee.running.count
                if load < bestLoad {
                    best = index
                    bestLoad = load
                }
            }
            return best
        }
    }

    /// Moves a position's backlog into its running tasks, up to the pipeline depth.
    private mutating func fillRunning(_ index: Int, into actions: inout [Action]) {
        while slots[index].acceptsWork, slots[index].running.count < configuration.pipelineDepth,
              !atTaskLimit(index), let next = slots[index].backlog.popFirst() {
            start(next, at: index, into: &actions)
        }
    }

    private func atTaskLimit(_ index: Int) -> Bool {
        guard let limit = configuration.maxTasksPerChild, configuration.ownsProcesses else { return false }
        return slots[index].tasksStarted >= limit
    }

    private mutating func start(_ id: JobID, at index: Int, into actions: inout [Action]) {
        guard var job = jobs[id] else { return }
        let resend = job.stranded
        job.place = .running(index)
        job.stranded = false
        jobs[id] = job
        slots[index].running.append(id)
        actions.append(resend ? .resend(id, position: index) : .run(id, position: index))
        if !resend {
            slots[index].tasksStarted += 1
            if let timeout = job.timeout { actions.append(.startDeadline(id, timeout)) }
        }
        if atTaskLimit(index) {
            // maxTasksPerChild: this process takes no more; it leaves when its tasks end.
            slots[index].phase = .retiring
            let untouched = Array(slots[index].backlog)
            slots[index].backlog.removeAll()
            for later in untouched.reversed() { requeueAtFront(later, stranded: false) }
        }
    }

    private mutating func requeueAtFront(_ id: JobID, stranded: Bool) {
        guard jobs[id] != nil else { return }
        jobs[id]?.place = .queued
        if stranded { jobs[id]?.stranded = true }
        queue.prepend(id)
    }

    private mutating func takeAllQueued() -> [JobID] {
        var taken = Array(queue)
        queue.removeAll()
        for index in slots.indices {
            taken += slots[index].backlog
            slots[index].backlog.removeAll()
        }
        return taken
    }

    /// After close: sends idle workers away once no work remains; after every exit: ends.
    private mutating func finishIfDone() -> [Action] {
        var actions: [Action] = []
        if phase == .closed, queuedCount == 0, runningCount == 0 {
            for index in slots.indices {
                switch slots[index].phase {
                case .serving, .draining, .retiring:
                    if slots[index].hasProcess {
                        slots[index].phase = .leaving
                        actions.append(.disconnect(position: index))
                    } else {
                        slots[index].phase = .exited
                    }
                case .starting:
                    // Not ready yet: it is sent away when it is (see `workerStarted`).
                    slots[index].phase = .leaving
                case .restartPending:
                    slots[index].phase = .exited
                case .leaving, .exited:
                    break
                }
            }
        }

        if phase == .closed || phase == .terminating, slots.allSatisfy({ $0.phase == .exited }),
           queuedCount == 0, runningCount == 0 {
            endedByClose = phase == .closed
            phase = .terminated
            actions.append(.finished)
        }
        return actions
    }
}
