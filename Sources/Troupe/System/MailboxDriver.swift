/// The I/O a ``MailboxExecutor``'s leader thread does between jobs: a transport's sockets
/// (or, in tests, an in-memory exchange).
///
/// One thread at a time calls it, under the executor's lock, so it needs no locking of its
/// own: the leader, or a *guest* — a thread that waits for a reply and does the turns itself
/// meanwhile (see ``MailboxExecutor/leadWhileWaiting(budget:send:_:othersWaiting:)``).
@_spi(Testing)
public protocol MailboxDriver {
    /// One turn: sends what is queued, waits for input (at most `waitMilliseconds`; 0 does
    /// not wait, -1 waits until the next tick), reads the executor's wake-up descriptor if it
    /// fired, and hands on what arrived.
    /// - Returns: false once the transport has stopped (the executor then stops too).
    mutating func turn(waitMilliseconds: Int) -> Bool

    /// Sends what is queued now, without waiting for input.
    mutating func flush()

    /// What a guest waits on between its turns, outside the lock; nil for a driver that
    /// takes no guests. Called right after a turn.
    mutating func waitSet() -> MailboxWaitSet?

    /// A guest's turn: sends what is queued and hands on what has arrived, without waiting
    /// and without reading the executor's wake-up descriptor (the leader waits on it).
    /// - Returns: false once the transport has stopped.
    mutating func guestTurn() -> Bool
}

extension MailboxDriver {
    /// Takes no guests.
    public mutating func waitSet() -> MailboxWaitSet? { nil }

    /// Never called, since ``waitSet()`` is nil.
    public mutating func guestTurn() -> Bool { false }
}

/// What a ``MailboxDriver`` waits on between two turns: descriptors that become readable when
/// input may have arrived (a ZeroMQ socket's `ZMQ_FD`), and how long to wait at most.
@_spi(Testing)
public struct MailboxWaitSet: Sendable {
    /// Descriptors to wait on for reading.
    public var descriptors: [Int32]
    /// At most this long; 0 does not wait (there is more to do at once).
    public var timeoutMilliseconds: Int

    /// Creates a wait set.
    /// - Parameters:
    ///   - descriptors: the descriptors to wait on for reading.
    ///   - timeoutMilliseconds: the longest wait; 0 for none.
    public init(descriptors: [Int32], timeoutMilliseconds: Int) {
        self.descriptors = descriptors
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}
