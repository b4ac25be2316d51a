import DequeModule
import Synchronization

/// Runs a worker's incoming calls one at a time, in arrival order, as a process in a pool
/// does; a queued call can be withdrawn and the running one cancelled.
///
/// Calls run inline in one long-lived loop task on the mailbox's executor, with no task of
/// their own and no thread hop: a call that arrives is run by the thread that received it,
/// and its reply leaves with the next turn. To cancel the running call, the loop's task is
/// cancelled and a new loop takes over once the cancelled call has returned.
final class SerialCallQueue: Sendable {
    struct Job: Sendable {
        let callID: UInt64
        let peer: PeerAddress
        let run: @Sendable () async -> Void
        /// Runs when the job leaves the queue to start (a brokered call queues its STARTED),
        /// before `run`, and before the executor's queue is flushed: after it, the job can no
        /// longer be withdrawn. Quick calls leave the queue in groups (``groupStartLimit``).
        var willStart: (@Sendable () -> Void)? = nil
    }

    private struct State {
        var queue: Deque<Job> = []
        var waiter: UnsafeContinuation<Job, Never>?
        var running: (callID: UInt64, peer: PeerAddress)?
        var loop: Task<Void, Never>?
        /// Bumped when the running call is cancelled: the loop that ran it then stops.
        var generation = 0
    }

    private let state = Mutex(State())
    private let executor: MailboxExecutor
    /// Where the worker records each call it starts, for its parent to read after a death.
    private let progress: CallProgress?

    init(executor: MailboxExecutor, progress: CallProgress?) {
        self.executor = executor
        self.progress = progress
        state.withLock { startLoop(after: nil, state: &$0) }
    }

    /// Adds a call to the end of the queue.
    func enqueue(_ job: Job) {
        let waiter: UnsafeContinuation<Job, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(job)
            return nil
        }
        waiter?.resume(returning: job)
    }

    enum CancelOutcome { case withdrawn, cancelled, unknown }

    /// Withdraws a queued call, or cancels it if it is running.
    /// - Returns: `.withdrawn` when it had not started, `.cancelled` when it was running,
    ///   `.unknown` when it is neither (finished already).
    func cancel(callID: UInt64, from peer: PeerAddress) -> CancelOutcome {
        state.withLock { state in
            if let running = state.running, running.callID == callID, running.peer == peer {
                cancelRunning(state: &state)
                return .cancelled
            }
            if let index = state.queue.firstIndex(where: { $0.callID == callID && $0.peer == peer }) {
                state.queue.remove(at: index)
                return .withdrawn
            }
            return .unknown
        }
    }

    /// Withdraws the calls among `callIDs` that have not started; never touches a running one.
    /// - Returns: the ids withdrawn.
    func withdraw(_ callIDs: Set<UInt64>, from peer: PeerAddress) -> [UInt64] {
        state.withLock { state in
            var withdrawn: [UInt64] = []
            state.queue.removeAll { job in
                guard job.peer == peer, callIDs.contains(job.callID) else { return false }
                withdrawn.append(job.callID)
                return true
            }
            return withdrawn
        }
    }

    /// Withdraws the queued (not started) calls whose peer is among `peers`; never touches a
    /// running one.
    /// - Returns: the peers of the calls withdrawn, in queue order.
    func withdraw(peers: Set<PeerAddress>) -> [PeerAddress] {
        state.withLock { state in
            var withdrawn: [PeerAddress] = []
            state.queue.removeAll { job in
                guard peers.contains(job.peer) else { return false }
                withdrawn.append(job.peer)
                return true
            }
            return withdrawn
        }
    }

    /// Withdraws or cancels the call that came from `peer` (a request relayed by a supervisor).
    /// - Returns: the call id when a queued call was withdrawn (its caller must be told).
    func cancel(peer: PeerAddress) -> UInt64? {
        state.withLock { state in
            if let running = state.running, running.peer == peer {
                cancelRunning(state: &state)
                return nil
            }
            if let index = state.queue.firstIndex(where: { $0.peer == peer }) {
                return state.queue.remove(at: index).callID
            }
            return nil
        }
    }

    private func cancelRunning(state: inout State) {
        let old = state.loop
        state.running = nil
        startLoop(after: old, state: &state)
        old?.cancel()
    }

    /// Starts a loop that serves once `previous` (a loop whose call was cancelled) has ended.
    private func startLoop(after previous: Task<Void, Never>?, state: inout State) {
        state.generation += 1
        let generation = state.generation
        state.loop = Task(executorPreference: executor) {
            await previous?.value
            await self.serve(generation: generation)
        }
    }

    private nonisolated(nonsending) func next() async -> Job {
        if let job = state.withLock({ $0.queue.popFirst() }) { return job }
        return await withUnsafeContinuation { continuation in
            let job: Job? = state.withLock { state in
                if let job = state.queue.popFirst() { return job }
                state.waiter = continuation
                return nil
            }
            if let job { continuation.resume(returning: job) }
        }
    }

    /// How long a finished call's reply may wait for the calls after it, to leave with them.
    static let replyHoldLimit: Duration = .milliseconds(1)
    /// How many jobs that report their start (brokered calls) may leave the queue together,
    /// reported in one go, when the call before them was quick: each start report would
    /// otherwise be a message of its own, and cost more than a quick call.
    static let groupStartLimit = 16
    /// A call that ran at most this long lets the jobs behind it start in a group.
    static let quickCall: Duration = .microseconds(200)

    /// Takes the job to run next: the next of a group already reported, or the first queued,
    /// with, when `quick`, the jobs right behind it that report their start too (up to
    /// ``groupStartLimit`` in all). The start of every job taken from the queue is reported
    /// here, and the reports leave before the first of them runs.
    private nonisolated(nonsending) func take(from group: inout Deque<Job>, quick: Bool) async -> Job {
        if let job = group.popFirst() { return job }
        let first = await next()
        guard first.willStart != nil else { return first }
        if quick {
            state.withLock { state in
                while group.count < Self.groupStartLimit - 1, let job = state.queue.first, job.willStart != nil {
                    group.append(state.queue.removeFirst())
                }
            }
        }
        first.willStart?()
        for index in group.indices {
            group[index].willStart?()
            group[index].willStart = nil
        }
        executor.flushIfLeader()
        return first
    }

    private nonisolated(nonsending) func serve(generation: Int) async {
        var unsentSince: ContinuousClock.Instant?
        // Jobs whose start was reported with the one running, waiting for their turn.
        var group: Deque<Job> = []
        var quick = false
        while true {
            let job = await take(from: &group, quick: quick)
            state.withLock { $0.running = (job.callID, job.peer) }
            if job.callID != 0 { progress?.recordStart(of: job.callID) }
            let started = ContinuousClock.now
            await job.run()
            quick = ContinuousClock.now - started <= Self.quickCall
            // Replies of quick calls leave together at the end of the mailbox's batch; once
            // one has waited a while, they leave now, so that a crash in a later call of a
            // long batch cannot take them along.
            let now = ContinuousClock.now
            if let since = unsentSince, now - since >= Self.replyHoldLimit {
                executor.flushIfLeader()
                unsentSince = nil
            } else if unsentSince == nil {
                unsentSince = now
            }
            if !executor.isLeaderThread || (group.isEmpty && state.withLock({ $0.queue.isEmpty })) { unsentSince = nil }
            let current = state.withLock { state -> Bool in
                guard state.generation == generation else {
                    // The loop that takes over runs the rest of the group (already reported).
                    state.queue.insert(contentsOf: group, at: 0)
                    return false
                }
                state.running = nil
                return true
            }
            if !current { return }
        }
    }
}
