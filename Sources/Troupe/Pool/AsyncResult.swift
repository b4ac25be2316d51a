import Synchronization

/// The future result of work handed to a pool: Python's `AsyncResult`, in Swift.
///
/// ```swift
/// let result = try pool.applyAsync { try await $0.greet("hello") }
/// print(try await result.get())
/// ```
/// A result ends exactly once, with a value or an error; ``get()`` then returns or throws it,
/// as often as you like. Waiting with a timeout never stops the work itself.
public final class AsyncResult<Value: Sendable>: Sendable {
    let cell = ResultCell()

    init() {}

    /// Whether the work has finished (with a value or an error).
    public var isReady: Bool { cell.outcome != nil }

    /// Whether the work finished with a value; false while it runs and when it failed.
    public var isSuccessful: Bool {
        if case .success = cell.outcome { return true }
        return false
    }

    /// The outcome, once ready.
    public var outcome: Result<Value, any Error>? {
        cell.outcome.map(Self.typed)
    }

    /// Waits for the work and returns its value.
    /// - Returns: the value the work produced.
    /// - Throws: the work's error: a ``TroupeError`` (`.remote` for an error thrown in the
    ///   worker, `.workerCrashed`, `.terminated`...) or the error your closure threw.
    public func get() async throws -> Value {
        await cell.waitUntilDone()
        guard let outcome = cell.outcome else {
            throw TroupeError(.cancelled, "the task waiting for this result was cancelled; the work goes on")
        }
        return try Self.typed(outcome).get()
    }

    /// Waits at most `timeout` for the work and returns its value; the work goes on when
    /// the time runs out, and a later `get()` can still collect it.
    /// - Parameter timeout: how long to wait.
    /// - Returns: the value the work produced.
    /// - Throws: ``TroupeError`` `.timeout` when the work is not done in time, else as ``get()``.
    public func get(timeout: Duration) async throws -> Value {
        guard await wait(timeout: timeout) else {
            throw TroupeError(.timeout, "the result was not ready within \(timeout); the work goes on: call get() again to wait longer")
        }
        guard let outcome = cell.outcome else {
            throw TroupeError(.cancelled, "the task waiting for this result was cancelled; the work goes on")
        }
        return try Self.typed(outcome).get()
    }

    /// Waits until the work has finished.
    public func wait() async {
        await cell.waitUntilDone()
    }

    /// Waits until the work has finished or `timeout` has passed.
    /// - Parameter timeout: how long to wait at most; nil waits as long as it takes.
    /// - Returns: whether the work has finished.
    @discardableResult
    public func wait(timeout: Duration?) async -> Bool {
        if isReady { return true }
        guard let timeout else {
            await cell.waitUntilDone()
            return isReady
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.cell.waitUntilDone()
                return self.isReady
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || isReady
        }
    }

    /// Stops the work: a queued task never starts, a running one is cancelled in its worker,
    /// and the result fails with ``TroupeError/Code/cancelled``.
    public func cancel() {
        cell.cancel()
    }

    /// Calls `callback` with the outcome when it is ready, on a task of its own: a slow
    /// callback never holds back other results. Python's `callback` and `error_callback` in
    /// one; as in Python, it runs before ``get()`` and ``wait()`` return.
    /// - Parameter callback: called once, with the value or the error; at once (on a task of
    ///   its own) when the result is already ready.
    public func whenReady(_ callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        cell.whenReady { outcome in callback(Self.typed(outcome)) }
    }

    // MARK: Completion (pool side)

    func setCancelHandler(_ handler: @escaping @Sendable () -> Void) {
        cell.setCancelHandler(handler)
    }

    /// Ends the result; later calls do nothing.
    /// - Returns: whether this call ended it.
    @discardableResult
    func complete(_ result: Result<Value, any Error>) -> Bool {
        cell.complete(result.map { $0 as any Sendable })
    }

    private static func typed(_ outcome: ResultCell.Outcome) -> Result<Value, any Error> {
        outcome.map { $0 as! Value }
    }
}
