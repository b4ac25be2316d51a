import TroupePlatform
import Synchronization

/// One child process started by ``ProcessSpawner``: its pid, whether it still runs, and how it
/// ended. Signals are only sent while the process has not been reaped, so a pid that the
/// system has reused for another process is never signalled.
@_spi(Testing)
public final class ChildProcess: Sendable {
    /// The child's process id.
    public let pid: Int32

    private enum State {
        case running(waiters: [UInt64: CheckedContinuation<ExitStatus?, Never>],
                     handlers: [@Sendable (ExitStatus) -> Void])
        case exited(ExitStatus)
    }

    private let state = Mutex<State>(.running(waiters: [:], handlers: []))
    private let nextWaiterID = Atomic<UInt64>(0)

    /// Where signals go instead of `kill`, for a worker that is no process (in tests).
    private let simulatedSignal: (@Sendable (Int32) -> Void)?

    init(pid: Int32) {
        self.pid = pid
        self.simulatedSignal = nil
    }

    /// A handle for a worker that is no process (an in-process worker in tests): signals go
    /// to `onSignal`, and the worker reports its end with ``simulateExit(_:)``.
    public init(simulatedPID pid: Int32, onSignal: @escaping @Sendable (Int32) -> Void) {
        self.pid = pid
        self.simulatedSignal = onSignal
    }

    /// Reports that a simulated worker ended with `status` (once; later calls do nothing).
    public func simulateExit(_ status: ExitStatus) {
        finish(status)
    }

    /// How the process ended, or nil while it runs.
    var exitStatus: ExitStatus? {
        state.withLock { state in
            if case .exited(let status) = state { return status }
            return nil
        }
    }

    /// Whether the process is still running (not yet reaped).
    var isAlive: Bool { exitStatus == nil }

    /// Sends `signal` to the process if it has not exited.
    /// - Returns: whether the signal was sent.
    @discardableResult
    func send(_ signal: ProcessSignal) -> Bool {
        send(signal: signal.number)
    }

    /// Sends the signal numbered `signal` (one ``ProcessSignal`` does not name, such as
    /// SIGSTOP in a test) to the process if it has not exited.
    /// - Returns: whether the signal was sent.
    @discardableResult
    func send(signal: Int32) -> Bool {
        let sent = state.withLock { state -> Bool in
            guard case .running = state else { return false }
            if simulatedSignal != nil { return true }
            return kill(pid, signal) == 0
        }
        if sent, let simulatedSignal { simulatedSignal(signal) }
        return sent
    }

    /// Calls `handler` once with the exit status: at once if the process has already exited,
    /// otherwise on the spawner's thread when it does. Keep handlers short.
    func onExit(_ handler: @escaping @Sendable (ExitStatus) -> Void) {
        let exited: ExitStatus? = state.withLock { state in
            switch state {
            case .running(let waiters, var handlers):
                handlers.append(handler)
                state = .running(waiters: waiters, handlers: handlers)
                return nil
            case .exited(let status):
                return status
            }
        }
        if let exited { handler(exited) }
    }

    /// Waits for the process to exit.
    /// - Parameter timeout: how long to wait at most; nil waits as long as it takes.
    /// - Returns: the exit status, or nil when the timeout passed first or the task was cancelled.
    func wait(timeout: Duration?) async -> ExitStatus? {
        if let status = exitStatus { return status }
        guard let timeout else { return await waitUntilExitOrCancel() }
        return await withTaskGroup(of: ExitStatus?.self) { group in
            group.addTask { await self.waitUntilExitOrCancel() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func waitUntilExitOrCancel() async -> ExitStatus? {
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ExitStatus?, Never>) in
                let immediate: ExitStatus?? = state.withLock { state in
                    switch state {
                    case .running(var waiters, let handlers):
                        if Task.isCancelled { return .some(nil) }
                        waiters[id] = continuation
                        state = .running(waiters: waiters, handlers: handlers)
                        return .none
                    case .exited(let status):
                        return .some(status)
                    }
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<ExitStatus?, Never>? = state.withLock { state in
                guard case .running(var waiters, let handlers) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .running(waiters: waiters, handlers: handlers)
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Reaps the process if it has exited. Called by the spawner's thread only.
    /// - Parameter blocking: wait for the exit (the caller knows it has happened).
    /// - Returns: whether the process was reaped.
    func reap(blocking: Bool) -> Bool {
        var status: Int32 = 0
        let result: (ExitStatus, [CheckedContinuation<ExitStatus?, Never>], [@Sendable (ExitStatus) -> Void])? =
            state.withLock { state in
                guard case .running(let waiters, let handlers) = state else { return nil }
                var pidResult: Int32
                repeat {
                    pidResult = waitpid(pid, &status, blocking ? 0 : WNOHANG)
                } while pidResult < 0 && errno == EINTR
                let exit: ExitStatus
                if pidResult == pid {
                    exit = ExitStatus(waitStatus: status)
                } else if pidResult < 0 && errno == ECHILD {
                    // Someone else reaped it (a SIGCHLD handler set to SIG_IGN, say).
                    exit = .exited(code: -1)
                } else {
                    return nil
                }
                state = .exited(exit)
                return (exit, Array(waiters.values), handlers)
            }
        guard let (exit, waiters, handlers) = result else { return false }
        for waiter in waiters { waiter.resume(returning: exit) }
        for handler in handlers { handler(exit) }
        return true
    }

    private func finish(_ status: ExitStatus) {
        let ended: ([CheckedContinuation<ExitStatus?, Never>], [@Sendable (ExitStatus) -> Void])? = state.withLock { state in
            guard case .running(let waiters, let handlers) = state else { return nil }
            state = .exited(status)
            return (Array(waiters.values), handlers)
        }
        guard let (waiters, handlers) = ended else { return }
        for waiter in waiters { waiter.resume(returning: status) }
        for handler in handlers { handler(status) }
    }
}
