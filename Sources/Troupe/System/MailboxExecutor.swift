import TroupePlatform
import CTroupeShims
import DequeModule
import Synchronization

/// Runs Troupe's tasks on the thread that owns a mailbox's sockets, between two polls, so
/// that a call and its reply never cross a thread inside the process.
///
/// One thread at a time is the *leader*: it runs the ready jobs one by one, then takes a
/// turn of I/O through its ``MailboxDriver`` (send what is queued, poll, hand on what
/// arrived), and again. A second thread stands by. When a job keeps the leader busy for
/// longer than ``takeoverInterval`` (CPU-bound work in a worker, say), the standby takes
/// the leader's place: it keeps receiving (a CANCEL for that very job, heartbeats, more
/// calls) and runs the other jobs, while the former leader finishes its job and then stands
/// by in turn. The sockets move between threads only at such a hand-over, through an atomic
/// compare-and-exchange and the driver's lock, as libzmq allows ("migrating a socket from one
/// thread to another with a full memory barrier").
///
/// Tasks run here when they are created with `Task(executorPreference:)` or inside
/// `withTaskExecutorPreference(_:)`; their children and the default actors they call run
/// here too.
@_spi(Testing)
public final class MailboxExecutor: TaskExecutor, Sendable {
    /// How long a job may hold the leader before the standby takes over.
    static let takeoverInterval: Duration = .milliseconds(5)

    /// A thread of this executor: the leader, the standby, or a former leader finishing a
    /// long job.
    private final class Member: Sendable {
        let index: UInt64
        let wakeup = Semaphore()
        init(index: UInt64) { self.index = index }
    }

    /// Leadership and progress in one word, changed with compare-and-exchange: the
    /// leader's member index (16 bits), whether it is running a job (1 bit), and how many
    /// jobs it has started (the rest).
    private struct LeaderState: Equatable {
        var leader: UInt64
        var inJob: Bool
        var started: UInt64

        init(leader: UInt64, inJob: Bool, started: UInt64) {
            self.leader = leader
            self.inJob = inJob
            self.started = started
        }

        init(word: UInt64) {
            leader = word >> 48
            inJob = (word >> 47) & 1 == 1
            started = word & (1 << 47 - 1)
        }

        var word: UInt64 { leader << 48 | (inJob ? 1 << 47 : 0) | (started & (1 << 47 - 1)) }
    }

    private struct Queue {
        var jobs: Deque<UnownedJob> = []
        /// What waits for the leader's next turn of I/O to end.
        var afterTurn: [@Sendable () -> Void] = []
        var stopping = false
    }

    /// Carries a driver given to ``start(driver:)`` into the lock that keeps it.
    private struct DriverHandOff: @unchecked Sendable {
        let driver: (any MailboxDriver)?
    }

    private let name: String
    private let queue = Mutex(Queue())
    private let state = Atomic<UInt64>(0)
    private let lastMember = Atomic<UInt64>(0)
    /// The member that watches the leader, if one does.
    private let standby = Mutex<Member?>(nil)
    /// Set while the standby sleeps until woken (the leader was idle for a while).
    private let standbyAsleep = Atomic<Bool>(false)
    private let driver: Mutex<(any MailboxDriver)?>
    /// Wakes the leader from its poll: the driver polls this descriptor.
    public let wakeDescriptor: Int32
    private let polling = Atomic<Bool>(false)
    private let wakePending = Atomic<Bool>(false)
    /// Set by the driver, on the leader thread, once this turn's wait is over: what the leader
    /// itself queues from then on runs right after the turn, with no wake-up to write.
    private let leaderPastWait = Atomic<Bool>(false)
    /// Whether `wakeDescriptor` is closed: a late wake-up must not write to a descriptor
    /// number the process has reused.
    private let wakeClosed = Mutex(false)
    private let stopped = Semaphore()
    private let threadKey: ThreadKey

    /// Set while a guest (a thread waiting for a reply) does the turns: the leader then
    /// waits on its wake-up descriptor only, and leaves the sockets to the guest.
    private let guestLeading = Atomic<Bool>(false)
    /// The guest's thread (`pthread_self`), while there is one.
    private let guestThread = Atomic<UInt>(0)
    /// Wakes the guest from its wait, for envelopes other threads queue meanwhile.
    private let guestWakeDescriptor: Int32
    /// Set while the leader stands aside for a guest, which wakes it when it leaves.
    private let leaderAside = Atomic<Bool>(false)

    /// Creates the executor; ``start(driver:)`` starts its threads.
    /// - Parameters:
    ///   - name: the threads' name prefix, as `ps -L` shows it.
    ///   - wakeDescriptor: an eventfd that the driver polls; the executor writes it to wake the leader.
    ///   - driver: the I/O the leader does between jobs, until it says to stop; nil when it
    ///     is given to ``start(driver:)`` instead (a driver that refers to its owner, made
    ///     after the executor).
    public init(name: String, wakeDescriptor: Int32, driver: sending (any MailboxDriver)? = nil) {
        self.name = name
        self.wakeDescriptor = wakeDescriptor
        self.driver = Mutex(driver)
        threadKey = ThreadKey()
        guestWakeDescriptor = troupe_eventfd()
    }

    /// Starts the leader thread and the standby.
    /// - Parameter driver: the driver, if the executor was made without one.
    public func start(driver newDriver: sending (any MailboxDriver)? = nil) {
        if newDriver != nil {
            // `newDriver` was sent here, so no other code holds it: the lock takes it over.
            let handOff = DriverHandOff(driver: newDriver)
            driver.withLock { $0 = handOff.driver }
        }
        let first = newMember()
        state.store(LeaderState(leader: first.index, inJob: false, started: 0).word, ordering: .sequentiallyConsistent)
        launch(first, leading: true)
        ensureStandby()
    }

    /// Runs `body` with the driver, between two of the leader's turns: from a task on this
    /// executor (the leader is then in that task, not in a turn), or from any thread, which
    /// then waits for the current turn to end.
    public func withDriver(_ body: (inout any MailboxDriver) -> Void) {
        driver.withLock { driver in
            guard driver != nil else { return }
            body(&driver!)
        }
    }

    /// Sends what the driver has queued now, when called on the leader thread between its
    /// turns (from a task); does nothing elsewhere, where the next turn sends it.
    public func flushIfLeader() {
        guard isLeaderThread else { return }
        withDriver { $0.flush() }
    }

    /// Waits until the leader has stopped (its driver said so), at most `timeout`.
    public func waitUntilStopped(timeout: Duration) -> Bool {
        stopped.wait(timeout: timeout)
    }

    // MARK: TaskExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.stopping else { return false }
            queue.jobs.append(unowned)
            return true
        }
        guard accepted else {
            // The mailbox has stopped (a system shut down in tests): such tasks still run, on
            // the global executor.
            globalConcurrentExecutor.enqueue(unowned)
            return
        }
        wakeLeader()
    }

    /// Wakes the leader if it waits in its poll (once, however many callers ask).
    public func wakeLeader() {
        guard polling.load(ordering: .sequentiallyConsistent) else { return }
        if leaderPastWait.load(ordering: .relaxed), isLeaderThread { return }
        if !wakePending.exchange(true, ordering: .sequentiallyConsistent) {
            wakeClosed.withLock { closed in
                guard !closed else { return }
                var one: UInt64 = 1
                _ = write(wakeDescriptor, &one, 8)
            }
        }
    }

    /// Tells the executor that the driver's wait of this turn is over (called by the driver,
    /// on the leader thread): jobs the leader queues from now on need no wake-up.
    public func leaderFinishedWaiting() {
        leaderPastWait.store(true, ordering: .relaxed)
    }

    /// Wakes whoever sends next: the guest, if one does the turns now (unless the caller is
    /// that guest, whose next turn sends), or else the leader.
    public func wakeToSend() {
        if guestLeading.load(ordering: .sequentiallyConsistent) {
            if guestThread.load(ordering: .relaxed) == currentThreadNumber { return }
            wakeClosed.withLock { closed in
                guard !closed else { return }
                var one: UInt64 = 1
                _ = write(guestWakeDescriptor, &one, 8)
            }
            // The guest may have left before it could see the write: then the leader sends.
            if guestLeading.load(ordering: .sequentiallyConsistent) { return }
        }
        if !isLeaderThread { wakeLeader() }
    }

    /// Does the turns of I/O on the calling thread while `stillWaiting()` holds, for at most
    /// `budget`: a caller outside the executor that waits for a reply receives it itself, as
    /// a blocking client of plain sockets would, instead of having the leader wake for the
    /// send and again for the reply and then hand the reply over to yet another thread.
    ///
    /// Returns at once, doing nothing, on the executor's own threads, while another guest
    /// leads, or when the driver waits inside its turns. The leader stands aside meanwhile;
    /// it still runs the jobs queued for the executor.
    /// - Parameters:
    ///   - budget: the longest time to block the calling thread; past it the caller waits
    ///     as any other, and the leader takes over again.
    ///   - send: queues the request; it runs first, with no wake-up of the leader when the
    ///     calling thread is to do the turns.
    ///   - stillWaiting: whether the reply has yet to arrive (checked after each turn).
    ///   - othersWaiting: whether other replies are awaited (then the leader takes over at
    ///     once when the guest leaves).
    /// - Returns: whether the calling thread did the turns.
    @discardableResult
    public func leadWhileWaiting(budget: Duration, send: () -> Void, _ stillWaiting: () -> Bool,
                                 othersWaiting: () -> Bool) -> Bool {
        guard takesGuests.load(ordering: .relaxed), !isExecutorThread,
              guestLeading.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else {
            send()
            return false
        }
        guestThread.store(currentThreadNumber, ordering: .relaxed)
        // A leader that is not aside yet may wait in its turn, holding the driver: it is woken
        // to stand aside (once for a run of calls, since it stays aside between them).
        if !leaderAside.load(ordering: .sequentiallyConsistent) { wakeLeader() }
        // Whether the leader must take over at once when the guest leaves: not when the reply
        // came and nothing else is pending (no other reply awaited, no input or send waiting),
        // so that a caller making one call after another keeps the leader asleep (it looks
        // again every `asideCheckInterval`).
        var handBack = true
        defer { endGuest(wakingLeader: handBack) }
        send()

        let deadline = ContinuousClock.now.advanced(by: budget)
        while true {
            let step = driver.withLock { driver -> GuestStep in
                guard driver != nil, driver!.guestTurn() else { return .stopped }
                let wait = driver!.waitSet()
                guard stillWaiting() else { return .answered(morePending: wait?.timeoutMilliseconds == 0) }
                return wait.map(GuestStep.wait) ?? .stopped
            }
            let wait: MailboxWaitSet
            switch step {
            case .stopped: return true
            case .answered(let morePending):
                handBack = morePending || othersWaiting()
                return true
            case .wait(let set): wait = set
            }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return true }
            let timeout = min(wait.timeoutMilliseconds, max(1, Int(left.wholeMilliseconds)))
            if timeout > 0 {
                waitForInput(wait.descriptors, wakeDescriptor: guestWakeDescriptor, milliseconds: timeout)
            }
        }
    }

    /// What a guest's turn found.
    private enum GuestStep {
        /// The transport stopped.
        case stopped
        /// The reply came; `morePending`: the next turn has work at once.
        case answered(morePending: Bool)
        /// The reply has yet to come: wait on these.
        case wait(MailboxWaitSet)
    }

    /// How often a leader that stands aside looks whether the guest has left (when the guest
    /// did not wake it on leaving).
    static let asideCheckInterval = 2

    /// The guest leaves: the leader takes the sockets back when `wakingLeader` says so, or
    /// when envelopes were queued for the guest after its last turn.
    private func endGuest(wakingLeader: Bool) {
        guestThread.store(0, ordering: .relaxed)
        guestLeading.store(false, ordering: .sequentiallyConsistent)
        var count: UInt64 = 0
        let queuedForGuest = read(guestWakeDescriptor, &count, 8) == 8
        if queuedForGuest || (wakingLeader && leaderAside.load(ordering: .sequentiallyConsistent)) {
            wakeClosed.withLock { closed in
                guard !closed else { return }
                var one: UInt64 = 1
                _ = write(wakeDescriptor, &one, 8)
            }
        }
    }

    /// Set once the driver says a guest may do its turns (it has a ``MailboxDriver/waitSet()``).
    private let takesGuests = Atomic<Bool>(false)

    private var currentThreadNumber: UInt { UInt(pthread_self()) }

    /// Runs `body` on the leader once its next turn of I/O has ended (what had arrived by
    /// then has been handed on).
    func afterNextTurn(_ body: @escaping @Sendable () -> Void) {
        queue.withLock { $0.afterTurn.append(body) }
        wakeLeader()
    }

    /// Whether the calling thread is the leader now (and may therefore skip waking it).
    public var isLeaderThread: Bool {
        guard let index = threadKey.value else { return false }
        return LeaderState(word: state.load(ordering: .acquiring)).leader == index
    }

    /// Whether the calling thread is one of this executor's.
    public var isExecutorThread: Bool { threadKey.value != nil }

    // MARK: Threads

    private func newMember() -> Member {
        Member(index: lastMember.add(1, ordering: .relaxed).newValue)
    }

    private func launch(_ member: Member, leading: Bool) {
        OSThread.start(name: leading ? name : name + "+") { [self] in
            threadKey.value = member.index
            var leads = leading
            while true {
                if leads { lead(as: member) }
                guard standBy(as: member) else { return }
                leads = true
            }
        }
    }

    /// Makes sure a thread watches the leader.
    private func ensureStandby() {
        let created: Member? = standby.withLock { standby in
            if standby != nil { return nil }
            let member = newMember()
            standby = member
            return member
        }
        if let created { launch(created, leading: false) }
    }

    /// The leader's loop: jobs, then a turn of I/O, until the driver stops or a standby took
    /// over while a job ran.
    private func lead(as member: Member) {
        let batch = LeaderBatch()
        while true {
            var ranJobs = false
            batch.begin()
            while let job = nextJob() {
                if !ranJobs, standbyAsleep.load(ordering: .relaxed) { wakeStandby() }
                ranJobs = true
                // False: a standby leads now, and this thread's job is done.
                guard run(job, as: member) else {
                    batch.end()
                    return
                }
            }
            batch.end()
            // Poll only once nothing is queued (checked after `polling` is raised, so that a
            // job enqueued meanwhile either sees it and wakes us, or is seen here).
            polling.store(true, ordering: .sequentiallyConsistent)
            let (hasJobs, waiting) = queue.withLock { queue -> (Bool, [@Sendable () -> Void]) in
                defer { queue.afterTurn.removeAll() }
                return (!queue.jobs.isEmpty || !queue.afterTurn.isEmpty, queue.afterTurn)
            }
            leaderPastWait.store(false, ordering: .relaxed)
            let (keepGoing, aside) = driver.withLock { driver -> (Bool, Bool) in
                guard driver != nil else { return (false, false) }
                // A guest does the turns; the leader only runs jobs until it leaves.
                if guestLeading.load(ordering: .sequentiallyConsistent) { return (true, true) }
                let keepGoing = driver!.turn(waitMilliseconds: hasJobs ? 0 : -1)
                if keepGoing, !takesGuests.load(ordering: .relaxed), driver!.waitSet() != nil {
                    takesGuests.store(true, ordering: .relaxed)
                }
                return (keepGoing, false)
            }
            if aside { standAside() }
            polling.store(false, ordering: .sequentiallyConsistent)
            // The driver (or the wait aside) read the wake-up descriptor if it fired.
            wakePending.store(false, ordering: .sequentiallyConsistent)
            if aside, !waiting.isEmpty {
                // No turn was taken here: they wait for the next one.
                queue.withLock { $0.afterTurn.insert(contentsOf: waiting, at: 0) }
            } else {
                for body in waiting { body() }
            }
            if !keepGoing {
                // Released here, on the thread that ran it (its sockets' context ends with
                // it), and so that a driver that refers back to its owner makes no cycle.
                let stoppedDriver = driver.withLock { $0.take() }
                finish()
                _ = consume stoppedDriver
                return
            }
        }
    }

    /// The leader's wait while a guest does the turns: on its wake-up descriptor only (jobs
    /// to run, or the guest leaving), looking every ``asideCheckInterval`` whether the guest
    /// is still there. Skipped when jobs are queued (checked after `polling` is raised, as
    /// in ``lead(as:)``); what waits for a turn waits for the guest to leave.
    private func standAside() {
        polling.store(true, ordering: .sequentiallyConsistent)
        if queue.withLock({ !$0.jobs.isEmpty }) { return }
        leaderAside.store(true, ordering: .sequentiallyConsistent)
        // The guest may have left before it could see the flag.
        if guestLeading.load(ordering: .sequentiallyConsistent) {
            waitForInput([], wakeDescriptor: wakeDescriptor, milliseconds: Self.asideCheckInterval)
        }
        leaderAside.store(false, ordering: .sequentiallyConsistent)
    }

    /// Waits until one of `descriptors` or `wakeDescriptor` is readable, at most
    /// `milliseconds` (-1: no limit), and reads `wakeDescriptor` if it fired.
    private func waitForInput(_ descriptors: [Int32], wakeDescriptor: Int32, milliseconds: Int) {
        var items = [pollfd](repeating: pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
                             count: descriptors.count + 1)
        for (index, descriptor) in descriptors.enumerated() {
            items[index + 1] = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        }
        let ready = items.withUnsafeMutableBufferPointer { buffer in
            poll(buffer.baseAddress, nfds_t(buffer.count), Int32(clamping: milliseconds))
        }
        if ready > 0, items[0].revents & Int16(POLLIN) != 0 {
            var count: UInt64 = 0
            _ = read(wakeDescriptor, &count, 8)
        }
    }

    private func nextJob() -> UnownedJob? {
        queue.withLock { $0.jobs.popFirst() }
    }

    /// Runs one job as the leader.
    /// - Returns: false when a standby took over while it ran.
    private func run(_ job: UnownedJob, as member: Member) -> Bool {
        let before = LeaderState(word: state.load(ordering: .relaxed))
        let running = LeaderState(leader: member.index, inJob: true, started: before.started &+ 1)
        state.store(running.word, ordering: .releasing)
        job.runSynchronously(on: asUnownedTaskExecutor())
        let after = LeaderState(leader: member.index, inJob: false, started: running.started)
        let (exchanged, _) = state.compareExchange(expected: running.word, desired: after.word,
                                                   successOrdering: .acquiringAndReleasing, failureOrdering: .acquiring)
        return exchanged
    }

    /// The standby's loop: checks every ``takeoverInterval`` whether the leader is stuck in
    /// one job, and takes its place if so; sleeps until woken while the leader is idle.
    /// - Returns: true when this thread took the lead, false when it should end (another
    ///   thread stands by already, or the executor stopped).
    private func standBy(as member: Member) -> Bool {
        // A former leader whose place was taken stands by only if nobody does.
        let isStandby = standby.withLock { standby -> Bool in
            if standby == nil { standby = member }
            return standby === member
        }
        guard isStandby else { return false }
        var last = LeaderState(word: state.load(ordering: .acquiring))
        var quietChecks = 0
        while true {
            if isStopping { return false }
            if quietChecks >= 20 {
                standbyAsleep.store(true, ordering: .sequentiallyConsistent)
                // Re-check after announcing the sleep: a leader that started its jobs before
                // it could see the flag must not be missed.
                let now = LeaderState(word: state.load(ordering: .sequentiallyConsistent))
                if now == last && !now.inJob && !isStopping {
                    member.wakeup.wait(timeout: nil)
                }
                standbyAsleep.store(false, ordering: .relaxed)
                quietChecks = 0
            } else {
                member.wakeup.wait(timeout: Self.takeoverInterval)
            }
            if isStopping { return false }
            let now = LeaderState(word: state.load(ordering: .acquiring))
            if now.inJob && now == last {
                let taken = LeaderState(leader: member.index, inJob: false, started: now.started)
                let (exchanged, _) = state.compareExchange(expected: now.word, desired: taken.word,
                                                           successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
                if exchanged {
                    standby.withLock { if $0 === member { $0 = nil } }
                    ensureStandby()
                    return true
                }
            }
            quietChecks = (now.started == last.started && !now.inJob) ? quietChecks + 1 : 0
            last = now
        }
    }

    private var isStopping: Bool { queue.withLock { $0.stopping } }

    private func wakeStandby() {
        standbyAsleep.store(false, ordering: .relaxed)
        standby.withLock { $0 }?.wakeup.signal()
    }

    private func finish() {
        let left = queue.withLock { queue -> Deque<UnownedJob> in
            queue.stopping = true
            defer { queue.jobs.removeAll() }
            return queue.jobs
        }
        for job in left { globalConcurrentExecutor.enqueue(job) }
        standby.withLock { $0 }?.wakeup.signal()
        wakeClosed.withLock { closed in
            closed = true
            close(wakeDescriptor)
            close(guestWakeDescriptor)
        }
        stopped.signal()
    }
}
