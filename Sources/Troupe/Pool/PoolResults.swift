/// The results of ``Pool/imap(_:chunksize:retryable:timeout:progress:_:)-(Sequence,_,_,_,_,_)`` and its kin:
/// an `AsyncSequence` that yields each result as soon as it (and, for `imap`, every one
/// before it) is ready.
///
/// Iterating throws at an item whose work failed; the items after it can still be read.
/// When input that arrives over time throws, that error is raised after the results of the
/// items before it.
///
/// The map lives as long as the sequence or an iterator over it: once they are all gone
/// (the `for` loop was left early, say), the work still queued is dropped and the work
/// still running is cancelled. Cancelling the task that waits for a result does the same.
public struct PoolResults<Element: Sendable>: AsyncSequence, Sendable {
    let lifetime: Lifetime

    init(collector: MapCollector<Element>, onEnd: (@Sendable () -> Void)? = nil) {
        lifetime = Lifetime(collector: collector, onEnd: onEnd)
    }

    /// How many results the sequence yields in all; nil when the input is an
    /// `AsyncSequence`, whose length is not known in advance.
    public var count: Int? { lifetime.collector.count }

    /// Iterates the results.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let lifetime: Lifetime

        /// Waits for the next result.
        /// - Returns: the next item's value, or nil when every result has been read.
        /// - Throws: the error of that item's work (with the item's index as `item` in a
        ///   ``TroupeError``'s context), the input's own error, or ``TroupeError`` `.cancelled`
        ///   when the waiting task was cancelled (which cancels the rest of the map).
        public mutating func next() async throws -> Element? {
            try await next(timeout: nil)
        }

        /// Waits at most `timeout` for the next result: Python's `imap(...).next(timeout)`.
        /// When the time runs out, the result is not lost: a later call returns it.
        /// - Parameter timeout: how long to wait; nil waits as long as it takes.
        /// - Returns: the next item's value, or nil when every result has been read.
        /// - Throws: ``TroupeError`` `.timeout` when no result came in time, else as ``next()``.
        public mutating func next(timeout: Duration?) async throws -> Element? {
            switch await lifetime.collector.next(timeout: timeout) {
            case .outcome(let outcome):
                return try outcome.get()
            case .end:
                return nil
            case .timedOut:
                throw TroupeError(.timeout, "no result came within \(timeout.map { "\($0)" } ?? "the time allowed"); the work goes on: call next() again to wait longer")
            }
        }
    }

    /// Creates an iterator over the results.
    /// - Returns: an iterator. Every iterator of one sequence shares its position: each
    ///   result is yielded once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lifetime: lifetime)
    }

    /// Cancels what is left of the map when the last copy of its results goes away.
    final class Lifetime: Sendable {
        let collector: MapCollector<Element>
        let onEnd: (@Sendable () -> Void)?

        init(collector: MapCollector<Element>, onEnd: (@Sendable () -> Void)?) {
            self.collector = collector
            self.onEnd = onEnd
        }

        deinit {
            collector.cancel()
            onEnd?()
        }
    }
}
