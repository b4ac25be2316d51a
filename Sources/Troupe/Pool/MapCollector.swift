import DequeModule
import Synchronization

/// Gathers the results of a map's items as their tasks finish, and hands them on: all at
/// once in input order (`map`), one by one in input order (`imap`), or as they come
/// (`imapUnordered`). The first error ends a `map`; `imap` raises it at that item.
///
/// It also knows the tasks still open, so that a cancelled map can withdraw them, and, for
/// input that arrives over time, how many items are in flight, so that the input is pulled
/// only as workers free up.
final class MapCollector<Value: Sendable>: Sendable {
    enum Delivery: Sendable { case whole, ordered, unordered }

    /// What a streaming consumer gets from ``next(timeout:)``.
    enum Next {
        case outcome(Result<Value, any Error>)
        case end
        case timedOut
    }

    private typealias Waiter = (id: UInt64, continuation: UnsafeContinuation<Next, Never>)

    private struct State {
        /// The outcomes of items `firstSlot...`; streaming delivery drops the ones handed over.
        var slots: Deque<Result<Value, any Error>?> = []
        var firstSlot = 0
        /// Items added and not yet finished.
        var inFlight = 0
        /// Whether every item has been added; until then more may come.
        var inputEnded: Bool
        /// The error the input itself threw, raised after every earlier result.
        var inputError: (any Error)?
        var failed = false
        var cancelled = false
        /// The open tasks, by item, for cancelling.
        /// The task of each slot's item while it is open (0 once it ended, or before it is
        /// recorded): an array beside `slots`, not a dictionary hashed twice per item.
        var jobs: Deque<PoolCore.JobID> = []

        /// Drops the first slot, handed over.
        mutating func dropFirstSlot() {
            slots.removeFirst()
            jobs.removeFirst()
            firstSlot += 1
        }
        // Streaming delivery.
        var arrivals: Deque<Result<Value, any Error>> = []
        var waiter: Waiter?
        var lastWaiterID: UInt64 = 0
        /// A feeder waiting until fewer than `roomLimit` items are in flight.
        var roomWaiter: UnsafeContinuation<Void, Never>?
        var roomLimit = 0
    }

    let delivery: Delivery
    /// How many items there are, when the input's size is known from the start.
    let count: Int?
    let whole = AsyncResult<[Value]>()
    let progress: ProgressTracker?
    private let state: Mutex<State>
    /// Withdraws tasks of the pool; set by the pool that runs the items.
    private let cancelJobs: @Sendable ([PoolCore.JobID]) -> Void

    /// - Parameters:
    ///   - count: the number of items, or nil when they arrive over time (``add()``).
    init(count: Int?, delivery: Delivery, progress: ProgressTracker? = nil,
         cancelJobs: @escaping @Sendable ([PoolCore.JobID]) -> Void) {
        self.count = count
        self.delivery = delivery
        self.progress = progress
        self.cancelJobs = cancelJobs
        var initial = State(inputEnded: count != nil)
        if let count {
            initial.slots = Deque(repeating: nil, count: count)
            initial.jobs = Deque(repeating: 0, count: count)
            initial.inFlight = count
        }
        state = Mutex(initial)
        progress?.begin(total: count ?? 0)
        if count == 0 { whole.complete(.success([])) }
    }

    /// Whether a `map` has already failed, so that its remaining items can be skipped.
    var hasFailed: Bool { state.withLock { $0.failed } }

    /// Whether the map was cancelled (or its results abandoned): no more items are added.
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    // MARK: Items

    /// Adds one more item (input that arrives over time).
    /// - Returns: its index.
    func add() -> Int {
        state.withLock { state in
            state.slots.append(nil)
            state.jobs.append(0)
            state.inFlight += 1
            return state.firstSlot + state.slots.count - 1
        }
    }

    /// Records the task that runs item `index`, so that cancelling the map can withdraw it.
    func record(_ job: PoolCore.JobID, for index: Int) {
        state.withLock { state in
            let slot = index - state.firstSlot
            guard slot >= 0, slot < state.slots.count, state.slots[slot] == nil else { return }
            state.jobs[slot] = job
        }
    }

    /// Says that every item has been added, or that the input threw `error` after them.
    func endInput(throwing error: (any Error)? = nil) {
        var waiter: Waiter?
        var handOver: Next?
        state.withLock { state in
            state.inputEnded = true
            state.inputError = error
            if let pending = state.waiter, let next = Self.takeNext(&state, delivery: delivery) {
                state.waiter = nil
                waiter = pending
                handOver = next
            }
        }
        if let waiter, let handOver { waiter.continuation.resume(returning: handOver) }
    }

    /// Records the outcome of item `index`. A repeated outcome (a retried chunk) is ignored.
    func set(_ index: Int, _ outcome: Result<Value, any Error>) {
        var finished: [Value]? = nil
        var failure: (any Error)? = nil
        var waiter: Waiter? = nil
        var handOver: Next? = nil
        var room: UnsafeContinuation<Void, Never>? = nil
        var counted = false
        state.withLock { state in
            let slot = index - state.firstSlot
            guard slot >= 0, slot < state.slots.count, state.slots[slot] == nil else { return }
            state.jobs[slot] = 0
            state.inFlight -= 1
            counted = true
            switch delivery {
            case .whole:
                state.slots[slot] = outcome
                if case .failure(let error) = outcome, !state.failed {
                    state.failed = true
                    failure = error
                } else if state.inFlight == 0, state.inputEnded, !state.failed {
                    finished = state.slots.map { try! $0!.get() }
                }
            case .ordered:
                state.slots[slot] = outcome
            case .unordered:
                state.slots[slot] = .failure(Delivered())
                state.arrivals.append(outcome)
                // The slots only guard against repeats now: drop the filled ones in front.
                while let first = state.slots.first, first != nil { state.dropFirstSlot() }
            }
            if delivery != .whole, let pending = state.waiter, let next = Self.takeNext(&state, delivery: delivery) {
                state.waiter = nil
                waiter = pending
                handOver = next
            }
            room = Self.takeRoom(&state, delivery: delivery)
        }
        if counted, let progress {
            if case .failure = outcome { progress.advance(failed: true) } else { progress.advance(failed: false) }
        }
        if let failure { whole.complete(.failure(failure)) }
        if let finished { whole.complete(.success(finished)) }
        room?.resume()
        if let waiter, let handOver { waiter.continuation.resume(returning: handOver) }
    }

    /// Waits until fewer than `limit` items are in flight (or the map was cancelled).
    func waitForRoom(limit: Int) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.cancelled || Self.unconsumed(state, delivery: delivery) < limit { return true }
                state.roomLimit = limit
                state.roomWaiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    // MARK: Cancelling

    /// Withdraws every task still open (queued ones never start, running ones are cancelled
    /// in their worker) and adds no more items.
    func cancel() {
        let (jobs, room) = state.withLock { state -> ([PoolCore.JobID], UnsafeContinuation<Void, Never>?) in
            state.cancelled = true
            let jobs = Array(state.jobs.lazy.filter { $0 != 0 })
            for slot in state.jobs.indices { state.jobs[slot] = 0 }
            let room = state.roomWaiter
            state.roomWaiter = nil
            return (jobs, room)
        }
        room?.resume()
        if !jobs.isEmpty { cancelJobs(jobs) }
    }

    // MARK: Streaming delivery

    /// The next result for a streaming consumer: waits for it at most `timeout`, or as long
    /// as it takes; cancelling the waiting task cancels the whole map.
    func next(timeout: Duration?) async -> Next {
        let (ready, room) = state.withLock { state -> (Next?, UnsafeContinuation<Void, Never>?) in
            let next = Self.takeNext(&state, delivery: delivery)
            return (next, next != nil ? Self.takeRoom(&state, delivery: delivery) : nil)
        }
        room?.resume()
        if let ready { return ready }
        let id = state.withLock { state in
            state.lastWaiterID += 1
            return state.lastWaiterID
        }
        let timer = timeout.map { timeout in
            Task { [weak self] in
                try await Task.sleep(for: timeout)
                self?.resumeWaiter(id, with: .timedOut)
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Next, Never>) in
                let (ready, room) = state.withLock { state -> (Next?, UnsafeContinuation<Void, Never>?) in
                    if let next = Self.takeNext(&state, delivery: delivery) { return (next, Self.takeRoom(&state, delivery: delivery)) }
                    if Task.isCancelled {
                        return (.outcome(.failure(TroupeError(.cancelled, "the task reading these results was cancelled: the map's remaining work was withdrawn"))), nil)
                    }
                    state.waiter = (id, continuation)
                    return (nil, nil)
                }
                room?.resume()
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            resumeWaiter(id, with: .outcome(.failure(TroupeError(.cancelled, "the task reading these results was cancelled: the map's remaining work was withdrawn"))))
            cancel()
        }
    }

    private func resumeWaiter(_ id: UInt64, with next: Next) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.continuation.resume(returning: next)
    }

    /// Items added and not yet taken by the consumer: what the feeder's room is measured in,
    /// so that results a slow consumer has not read count against the window too.
    private static func unconsumed(_ state: State, delivery: Delivery) -> Int {
        switch delivery {
        case .ordered: state.slots.count
        case .unordered: state.inFlight + state.arrivals.count
        case .whole: state.inFlight
        }
    }

    /// The feeder waiting for room, when there is room now.
    private static func takeRoom(_ state: inout State, delivery: Delivery) -> UnsafeContinuation<Void, Never>? {
        guard let pending = state.roomWaiter, unconsumed(state, delivery: delivery) < state.roomLimit else { return nil }
        state.roomWaiter = nil
        return pending
    }

    /// What a streaming consumer gets next, or nil when it must wait.
    private static func takeNext(_ state: inout State, delivery: Delivery) -> Next? {
        switch delivery {
        case .ordered:
            if let first = state.slots.first {
                guard let outcome = first else { return nil }
                state.dropFirstSlot()
                return .outcome(outcome)
            }
        case .unordered:
            if let outcome = state.arrivals.popFirst() { return .outcome(outcome) }
            if state.inFlight > 0 { return nil }
        case .whole:
            return nil
        }
        guard state.inputEnded else { return nil }
        if let error = state.inputError {
            state.inputError = nil
            return .outcome(.failure(error))
        }
        return .end
    }

    /// Marks a slot whose outcome was handed on (unordered delivery).
    private struct Delivered: Error {}
}
