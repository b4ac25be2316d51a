/// The I/O a ``MailboxExecutor``'s leader thread does between jobs: a transport's sockets
/// (or, in tests, an in-memory exchange).
///
/// Only the leader calls it, one turn at a time, and the executor hands it from thread to
/// thread under a lock, so it needs no locking of its own.
@_spi(Testing)
public protocol MailboxDriver {
    /// One turn: sends what is queued, waits for input (at most `waitMilliseconds`; 0 does
    /// not wait, -1 waits until the next tick), reads the executor's wake-up descriptor if it
    /// fired, and hands on what arrived.
    /// - Returns: false once the transport has stopped (the executor then stops too).
    mutating func turn(waitMilliseconds: Int) -> Bool

    /// Sends what is queued now, without waiting for input.
    mutating func flush()
}
