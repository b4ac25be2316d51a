import Dispatch

/// A counting semaphore for the few dedicated threads Troupe runs (never for tasks): a
/// thread waits, another signals.
struct Semaphore: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    /// Adds one to the count, waking one waiter.
    func signal() {
        semaphore.signal()
    }

    /// Waits until the count is above zero (and takes one), or until `timeout` passes.
    /// - Parameter timeout: how long to wait at most; nil waits as long as it takes.
    /// - Returns: false when the time ran out first.
    @discardableResult
    func wait(timeout: Duration?) -> Bool {
        guard let timeout else {
            semaphore.wait()
            return true
        }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = max(0, seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        return semaphore.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success
    }
}
