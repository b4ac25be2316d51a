import Synchronization

/// The calls this process has sent and is waiting to hear back about, by call id.
///
/// Every entry ends exactly once: with the peer's reply, with the failure of the peer (its
/// process exited, its host vanished), or with the caller's cancellation.
final class PendingCalls: Sendable {
    typealias Outcome = Result<[UInt8], TroupeError>

    private struct Entry {
        let peer: PeerAddress
        let continuation: UnsafeContinuation<[UInt8], any Error>
        /// When the call fails unanswered, and with what; nil waits for ever (or for the peer's death).
        var deadline: (instant: ContinuousClock.Instant, error: TroupeError)?
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    private let lastID = Atomic<UInt64>(0)

    /// A new call id, never 0 (reserved by the protocol).
    func nextID() -> UInt64 {
        lastID.add(1, ordering: .relaxed).newValue
    }

    /// Registers a call before its envelope is sent.
    func register(_ id: UInt64, peer: PeerAddress, continuation: UnsafeContinuation<[UInt8], any Error>,
                  deadline: (instant: ContinuousClock.Instant, error: TroupeError)? = nil) {
        entries.withLock { entries in
            entries[id] = Entry(peer: peer, continuation: continuation, deadline: deadline)
            if deadline != nil { hasDeadlines.store(true, ordering: .relaxed) }
        }
    }

    private let hasDeadlines = Atomic<Bool>(false)

    /// Fails the calls whose deadline has passed.
    func expire(now: ContinuousClock.Instant) {
        guard hasDeadlines.load(ordering: .relaxed) else { return }
        let expired = entries.withLock { entries -> [Entry] in
            let ids = entries.compactMap { entry in
                entry.value.deadline.map { $0.instant <= now } == true ? entry.key : nil
            }
            if !entries.values.contains(where: { $0.deadline != nil }) {
                hasDeadlines.store(false, ordering: .relaxed)
            }
            return ids.compactMap { entries.removeValue(forKey: $0) }
        }
        for entry in expired {
            entry.continuation.resume(throwing: entry.deadline!.error)
        }
    }

    /// Ends a call with `outcome`.
    /// - Returns: false when no call has that id (a late or forged reply).
    @discardableResult
    func complete(_ id: UInt64, with outcome: Outcome) -> Bool {
        guard let entry = entries.withLock({ $0.removeValue(forKey: id) }) else { return false }
        entry.continuation.resume(with: outcome.mapError { $0 as any Error })
        return true
    }

    /// Where a pending call was sent; nil when it has ended.
    func peer(of id: UInt64) -> PeerAddress? {
        entries.withLock { $0[id]?.peer }
    }

    /// Fails every call waiting on a peer that matches `predicate`.
    @discardableResult
    func failAll(where predicate: (PeerAddress) -> Bool, with error: TroupeError) -> Int {
        let failed = entries.withLock { entries in
            let ids = entries.compactMap { predicate($0.value.peer) ? $0.key : nil }
            return ids.compactMap { entries.removeValue(forKey: $0) }
        }
        for entry in failed { entry.continuation.resume(throwing: error) }
        return failed.count
    }

    /// Fails every call waiting on `peer`.
    /// - Returns: how many calls failed.
    @discardableResult
    func failAll(to peer: PeerAddress, with error: TroupeError) -> Int {
        failAll(where: { $0 == peer }, with: error)
    }
}
