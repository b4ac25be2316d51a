import Synchronization

/// Gathers the results of a map's items as chunks finish them, and hands them on: all at
/// once in input order (`map`), one by one in input order (`imap`), or as they come
/// (`imapUnordered`). The first error ends a `map`; `imap` raises it at that item.
final class MapCollector<Value: Sendable>: Sendable {
    enum Delivery: Sendable { case whole, ordered, unordered }

    private struct State {
        var slots: [Result<Value, any Error>?]
        var remaining: Int
        var failed = false
        // Streaming delivery.
        var nextIndex = 0
        var arrivals: [Result<Value, any Error>] = []
        var arrivalHead = 0
        var delivered = 0
        var waiter: UnsafeContinuation<Result<Value, any Error>?, Never>?
    }

    let count: Int
    let delivery: Delivery
    let whole = AsyncResult<[Value]>()
    private let state: Mutex<State>

    let progress: ProgressTracker?

    init(count: Int, delivery: Delivery, progress: ProgressTracker? = nil) {
        self.count = count
        self.delivery = delivery
        self.progress = progress
        progress?.begin(total: count)
        state = Mutex(State(slots: Array(repeating: nil, count: count), remaining: count))
        if count == 0 { whole.complete(.success([])) }
    }

    /// Whether a `map` has already failed, so that its remaining chunks can be skipped.
    var hasFailed: Bool { state.withLock { $0.failed } }

    /// Records the outcome of item `index`. A repeated outcome (a retried chunk) is ignored.
    func set(_ index: Int, _ outcome: Result<Value, any Error>) {
        var finished: [Value]? = nil
        var failure: (any Error)? = nil
        var waiter: UnsafeContinuation<Result<Value, any Error>?, Never>? = nil
        var handOver: Result<Value, any Error>?? = nil
        var counted = false
        state.withLock { state in
            guard state.slots[index] == nil else { return }
            state.slots[index] = outcome
            state.remaining -= 1
            counted = true
            switch delivery {
            case .whole:
                if case .failure(let error) = outcome, !state.failed {
                    state.failed = true
                    failure = error
                } else if state.remaining == 0, !state.failed {
                    finished = state.slots.map { try! $0!.get() }
                }
            case .unordered:
                state.arrivals.append(outcome)
            case .ordered:
                break
            }
            if delivery != .whole, let pending = state.waiter, let next = Self.takeNext(&state, delivery: delivery) {
                state.waiter = nil
                waiter = pending
                handOver = next
            }
        }
        if counted, let progress {
            if case .failure = outcome { progress.advance(failed: true) } else { progress.advance(failed: false) }
        }
        if let failure { whole.complete(.failure(failure)) }
        if let finished { whole.complete(.success(finished)) }
        if let waiter, let handOver { waiter.resume(returning: handOver) }
    }

    /// Fails every item still open (the chunk that held them failed for good).
    func fail(_ indices: Range<Int>, with error: any Error) {
        for index in indices { set(index, .failure(error)) }
    }

    /// The next result for a streaming consumer, or nil when all were delivered.
    func next() async -> Result<Value, any Error>? {
        await withUnsafeContinuation { continuation in
            let ready: Result<Value, any Error>?? = state.withLock { state in
                if let next = Self.takeNext(&state, delivery: delivery) { return next }
                state.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// What a streaming consumer gets next: `.some(nil)` when everything was delivered,
    /// nil when it must wait.
    private static func takeNext(_ state: inout State, delivery: Delivery) -> Result<Value, any Error>?? {
        if state.delivered == state.slots.count { return .some(nil) }
        switch delivery {
        case .ordered:
            guard let outcome = state.slots[state.nextIndex] else { return nil }
            state.slots[state.nextIndex] = .failure(Delivered())
            state.nextIndex += 1
            state.delivered += 1
            return .some(outcome)
        case .unordered:
            guard state.arrivalHead < state.arrivals.count else { return nil }
            let outcome = state.arrivals[state.arrivalHead]
            state.arrivalHead += 1
            state.delivered += 1
            return .some(outcome)
        case .whole:
            return nil
        }
    }

    /// Marks a slot whose value was handed over (so its memory is released).
    private struct Delivered: Error {}
}

/// The results of ``Pool/imap(_:chunksize:retryable:progress:_:)`` and
/// ``Pool/imapUnordered(_:chunksize:retryable:progress:_:)``: an `AsyncSequence` that yields each
/// result as soon as it (and, for `imap`, every one before it) is ready.
///
/// Iterating throws at an item whose work failed; the items after it can still be read.
public struct PoolResults<Element: Sendable>: AsyncSequence, Sendable {
    let collector: MapCollector<Element>

    /// How many results the sequence yields in all.
    public var count: Int { collector.count }

    /// Iterates the results.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let collector: MapCollector<Element>

        /// The next result.
        /// - Returns: the next item's value, or nil when every result has been read.
        /// - Throws: the error of that item's work.
        public mutating func next() async throws -> Element? {
            guard let outcome = await collector.next() else { return nil }
            return try outcome.get()
        }
    }

    /// Creates an iterator over the results.
    /// - Returns: an iterator. Every iterator of one sequence shares its position: each
    ///   result is yielded once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(collector: collector)
    }
}
