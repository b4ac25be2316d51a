import Synchronization

/// The state of a future result with its value's type erased, so that none of its code runs
/// generic: pending with its waiters, or done with its outcome. ``AsyncResult`` is its typed
/// face.
///
/// When it ends, its callbacks run first (on a task of their own, so that a slow one holds
/// back no other result), and only then are its waiters woken, as Python runs a result's
/// callback before `get()` returns.
final class ResultCell: Sendable {
    typealias Outcome = Result<any Sendable, any Error>

    private enum State {
        case pending(waiters: [UInt64: UnsafeContinuation<Void, Never>], callbacks: [@Sendable (Outcome) -> Void])
        /// Ended; its callbacks still run, its waiters wait for them.
        case finishing(Outcome, waiters: [UInt64: UnsafeContinuation<Void, Never>])
        case done(Outcome)
    }

    private let state = Mutex<State>(.pending(waiters: [:], callbacks: []))
    private let lastWaiterID = Atomic<UInt64>(0)
    private let onCancel = Mutex<(@Sendable () -> Void)?>(nil)

    /// The outcome, once it has ended and its callbacks have run.
    var outcome: Outcome? {
        state.withLock { state in
            if case .done(let outcome) = state { return outcome }
            return nil
        }
    }

    /// Ends the result; later calls do nothing.
    /// - Returns: whether this call ended it.
    @discardableResult
    func complete(_ outcome: Outcome) -> Bool {
        let ended = state.withLock { state -> (waiters: [UInt64: UnsafeContinuation<Void, Never>], callbacks: [@Sendable (Outcome) -> Void])? in
            guard case .pending(let waiters, let callbacks) = state else { return nil }
            state = callbacks.isEmpty ? .done(outcome) : .finishing(outcome, waiters: waiters)
            return (waiters, callbacks)
        }
        guard let ended else { return false }
        onCancel.withLock { $0 = nil }
        if ended.callbacks.isEmpty {
            wake(ended.waiters)
        } else {
            Task {
                for callback in ended.callbacks { callback(outcome) }
                let waiters = self.state.withLock { state -> [UInt64: UnsafeContinuation<Void, Never>] in
                    guard case .finishing(let outcome, let waiters) = state else { return [:] }
                    state = .done(outcome)
                    return waiters
                }
                self.wake(waiters)
            }
        }
        return true
    }

    private func wake(_ waiters: [UInt64: UnsafeContinuation<Void, Never>]) {
        guard !waiters.isEmpty else { return }
        // On a mailbox thread, the waiters wake once the batch of replies is done.
        LeaderBatch.atEnd { for waiter in waiters.values { waiter.resume() } }
    }

    /// Calls `callback` with the outcome when it ends (on a task of its own).
    func whenReady(_ callback: @escaping @Sendable (Outcome) -> Void) {
        let ready: Outcome? = state.withLock { state in
            switch state {
            case .pending(let waiters, var callbacks):
                callbacks.append(callback)
                state = .pending(waiters: waiters, callbacks: callbacks)
                return nil
            case .finishing(let outcome, _), .done(let outcome):
                return outcome
            }
        }
        if let ready { Task { callback(ready) } }
    }

    func setCancelHandler(_ handler: @escaping @Sendable () -> Void) {
        onCancel.withLock { $0 = handler }
    }

    func cancel() {
        onCancel.withLock { $0 }?()
    }

    /// Waits until it has ended, or until the waiting task is cancelled.
    nonisolated(nonsending) func waitUntilDone() async {
        if outcome != nil { return }
        let id = lastWaiterID.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard !Task.isCancelled else { return true }
                    switch state {
                    case .pending(var waiters, let callbacks):
                        waiters[id] = continuation
                        state = .pending(waiters: waiters, callbacks: callbacks)
                        return false
                    case .finishing(let outcome, var waiters):
                        waiters[id] = continuation
                        state = .finishing(outcome, waiters: waiters)
                        return false
                    case .done:
                        return true
                    }
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: UnsafeContinuation<Void, Never>? = state.withLock { state in
                switch state {
                case .pending(var waiters, let callbacks):
                    let waiter = waiters.removeValue(forKey: id)
                    state = .pending(waiters: waiters, callbacks: callbacks)
                    return waiter
                case .finishing(let outcome, var waiters):
                    let waiter = waiters.removeValue(forKey: id)
                    state = .finishing(outcome, waiters: waiters)
                    return waiter
                case .done:
                    return nil
                }
            }
            waiter?.resume()
        }
    }
}
