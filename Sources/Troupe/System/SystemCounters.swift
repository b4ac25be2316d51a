import Synchronization

/// Counts of what an actor system rejected or could not match, for status reports and tests.
final class SystemCounters: Sendable {
    /// Messages that were not valid protocol.
    let malformedMessages = Atomic<Int>(0)
    /// Replies for calls that had ended, or never existed.
    let unknownReplies = Atomic<Int>(0)
    /// Replies from a peer other than the one that holds the call: ignored.
    let forgedReplies = Atomic<Int>(0)
    /// Calls for actors this process does not have.
    let unknownActors = Atomic<Int>(0)
    /// Calls the runtime could not dispatch (an unknown target, bad arguments).
    let failedDispatches = Atomic<Int>(0)
    /// REJECTs received from peers.
    let rejectedByPeer = Atomic<Int>(0)
    /// Replies that the calling thread received itself, doing the mailbox's turns while it
    /// waited (see ``MailboxExecutor/leadWhileWaiting(budget:send:_:othersWaiting:)``).
    let repliesReceivedByCaller = Atomic<Int>(0)
    /// REJECTs sent since the last tick (they are rate-limited).
    let rejectsThisTick = Atomic<Int>(0)
}
