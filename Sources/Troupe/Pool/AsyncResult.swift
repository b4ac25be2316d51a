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
    private enum State {
        case pending(waiters: [UInt64: UnsafeContinuation<Void, Never>])
        case done(Result<Value, any Error>)
    }

    private let state = Mutex<State>(.pending(waiters: [:]))
    private let lastWaiterID = Atomic<UInt64>(0)
    private let onCancel = Mutex<(@Sendable () -> Void)?>(nil)
    private let callbacks = Mutex<[@Sendable (Result<Value, any Error>) -> Void]>([])

    init() {}

    /// Whether the work has finished (with a value or an error).
    public var isReady: Bool { outcome != nil }

    /// Whether the work finished with a value; false while it runs and when it failed.
    public var isSuccessful: Bool {
        if case .success = outcome { return true }
        return false
    }

    /// The outcome, once ready.
    public var outcome: Result<Value, any Error>? {
        state.withLock { state in
            if case .done(let result) = state { return result }
            return nil
        }
    }

    /// Waits for the work and returns its value.
    /// - Returns: the value the work produced.
    /// - Throws: the work's error: a ``TroupeError`` (`.remote` for an error thrown in the
    ///   worker, `.workerCrashed`, `.terminated`...) or the error your closure threw.
    public func get() async throws -> Value {
        await wait()
        guard let outcome else {
            throw TroupeError(.cancelled, "the task waiting for this result was cancelled; the work goes on")
        }
        return try outcome.get()
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
        guard let outcome else {
            throw TroupeError(.cancelled, "the task waiting for this result was cancelled; the work goes on")
        }
        return try outcome.get()
    }

    /// Waits until the work has finished.
    public func wait() async {
        _ = await wait(timeout: nil)
    }

    /// Waits until the work has finished or `timeout` has passed.
    /// - Parameter timeout: how long to wait at most; nil waits as long as it takes.
    /// - Returns: whether the work has finished.
    @discardableResult
    public func wait(timeout: Duration?) async -> Bool {
        if isReady { return true }
        guard let timeout else {
            await waitUntilDone()
            return isReady
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitUntilDone()
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
        onCancel.withLock { $0 }?()
    }

    /// Calls `callback` with the outcome when it is ready, on a task of its own: a slow
    /// callback never holds back other results. Python's `callback` and `error_callback` in one.
    /// - Parameter callback: called once, with the value or the error; at once (on a task of
    ///   its own) when the result is already ready.
    public func whenReady(_ callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        let ready: Result<Value, any Error>? = state.withLock { state in
            if case .done(let result) = state { return result }
            callbacks.withLock { $0.append(callback) }
            return nil
        }
        if let ready { Task { callback(ready) } }
    }

    // MARK: Completion (pool side)

    func setCancelHandler(_ handler: @escaping @Sendable () -> Void) {
        onCancel.withLock { $0 = handler }
    }

    /// Ends the result; later calls do nothing.
    /// - Returns: whether this call ended it.
    @discardableResult
    func complete(_ result: Result<Value, any Error>) -> Bool {
        let waiters: [UnsafeContinuation<Void, Never>]? = state.withLock { state in
            guard case .pending(let waiters) = state else { return nil }
            state = .done(result)
            return Array(waiters.values)
        }
        guard let waiters else { return false }
        onCancel.withLock { $0 = nil }
        // On a mailbox thread, the waiters wake once the batch of replies is done.
        if !waiters.isEmpty { LeaderBatch.atEnd { for waiter in waiters { waiter.resume() } } }
        let pending = callbacks.withLock { callbacks in
            defer { callbacks.removeAll() }
            return callbacks
        }
        if !pending.isEmpty {
            Task { for callback in pending { callback(result) } }
        }
        return true
    }

    private func waitUntilDone() async {
        let id = lastWaiterID.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard case .pending(var waiters) = state, !Task.isCancelled else { return true }
                    waiters[id] = continuation
                    state = .pending(waiters: waiters)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: UnsafeContinuation<Void, Never>? = state.withLock { state in
                guard case .pending(var waiters) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .pending(waiters: waiters)
                return waiter
            }
            waiter?.resume()
        }
    }
}
