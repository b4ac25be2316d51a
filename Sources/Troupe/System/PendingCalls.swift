import Synchronization
import TroupeWire

/// The calls this process has sent and is waiting to hear back about, by call id.
///
/// Every entry ends exactly once: with its peer's reply, with the failure of the peer (its
/// process exited, its host vanished), with a deadline, or with the caller's cancellation.
/// A reply counts only when it comes from the peer that holds the call; call ids are drawn
/// from a keyed hash of a counter, so that no other process can guess them.
///
/// A call made by a pool's task keeps its envelope and its owner, so that the pool can send
/// it again elsewhere when it never started where it was (its worker died first, or gave it
/// back): such a call is *parked* until it is sent again.
final class PendingCalls: Sendable {
    typealias Outcome = Result<[UInt8], TroupeError>

    /// What a pending call is waiting on.
    struct Summary: Sendable {
        let id: UInt64
        let owner: CallOwner?
        /// Where it stands in the order calls left this process (nil until it has left).
        let sequence: UInt64?
    }

    /// A class: looking an entry up or changing it copies no field. `@unchecked`: it is only
    /// touched under the lock, or by the one thread that removed it.
    private final class Entry: @unchecked Sendable {
        /// Where the call was sent; nil while it is parked.
        var peer: PeerAddress?
        let continuation: UnsafeContinuation<[UInt8], any Error>
        /// When the call fails unanswered, and with what (made only then); nil waits for ever
        /// (or for the peer's death).
        let deadline: Deadline?
        let owner: CallOwner?
        /// The call, for a call that may be sent again.
        let call: Envelope.Call?
        var sequence: UInt64?

        init(peer: PeerAddress?, continuation: UnsafeContinuation<[UInt8], any Error>,
             deadline: Deadline?, owner: CallOwner?, call: Envelope.Call?) {
            self.peer = peer
            self.continuation = continuation
            self.deadline = deadline
            self.owner = owner
            self.call = call
        }
    }

    /// When an unanswered call fails, and the error it fails with, made only if it does: most
    /// calls are answered, and the error's text costs more than the call's own bookkeeping.
    struct Deadline: Sendable {
        let instant: ContinuousClock.Instant
        let error: @Sendable () -> TroupeError
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    /// How many calls are pending, for the checks that take no lock.
    private let pendingCount = Atomic<Int>(0)

    /// Runs `body` on the table under its lock, then records its size.
    private func withEntries<T>(_ body: (inout [UInt64: Entry]) -> T) -> T {
        entries.withLock { entries in
            let result = body(&entries)
            pendingCount.store(entries.count, ordering: .relaxed)
            return result
        }
    }
    private let counter = Atomic<UInt64>(0)
    private let hasDeadlines = Atomic<Bool>(false)

    /// A new call id: unpredictable, never 0 (reserved by the protocol), never one in use.
    func nextID() -> UInt64 {
        while true {
            var hasher = Hasher()
            hasher.combine(counter.add(1, ordering: .relaxed).newValue)
            let id = UInt64(bitPattern: Int64(hasher.finalize()))
            if id != 0 { return id }
        }
    }

    /// Registers a call before its envelope is sent.
    /// - Returns: false when the id is already in use (draw another).
    @discardableResult
    func register(_ id: UInt64, peer: PeerAddress, continuation: UnsafeContinuation<[UInt8], any Error>,
                  deadline: Deadline? = nil,
                  owner: CallOwner? = nil, call: Envelope.Call? = nil) -> Bool {
        withEntries { entries in
            guard entries.index(forKey: id) == nil else { return false }
            entries[id] = Entry(peer: peer, continuation: continuation, deadline: deadline, owner: owner, call: call)
            if deadline != nil { hasDeadlines.store(true, ordering: .relaxed) }
            return true
        }
    }

    /// Whether the call `id` still waits for its reply.
    func isPending(_ id: UInt64) -> Bool {
        withEntries { $0.index(forKey: id) != nil }
    }

    /// Whether no call waits for its reply (without the lock: a moment's view).
    var isEmpty: Bool { pendingCount.load(ordering: .relaxed) == 0 }

    /// Whether `id` is the one call that waits for its reply now (without the lock: a
    /// moment's view, enough for deciding how to wait).
    func isOnlyPending(_ id: UInt64) -> Bool {
        pendingCount.load(ordering: .relaxed) == 1 && isPending(id)
    }

    /// The calls a pool's task is waiting on now, with where each was sent (nil: parked).
    func pending(ownedBy owner: CallOwner) -> [(id: UInt64, peer: PeerAddress?)] {
        withEntries { entries in
            entries.compactMap { $0.value.owner == owner ? ($0.key, $0.value.peer) : nil }
        }
    }

    /// Records where a call stands in the order calls left this process.
    func setSequence(_ id: UInt64, _ sequence: UInt64) {
        withEntries { $0[id]?.sequence = sequence }
    }

    /// Fails the calls whose deadline has passed.
    func expire(now: ContinuousClock.Instant) {
        guard hasDeadlines.load(ordering: .relaxed) else { return }
        let expired = withEntries { entries -> [Entry] in
            let ids = entries.compactMap { entry in
                entry.value.deadline.map { $0.instant <= now } == true ? entry.key : nil
            }
            let expired = ids.compactMap { entries.removeValue(forKey: $0) }
            if !entries.values.contains(where: { $0.deadline != nil }) {
                hasDeadlines.store(false, ordering: .relaxed)
            }
            return expired
        }
        for entry in expired {
            entry.continuation.resume(throwing: entry.deadline!.error())
        }
    }

    /// What a reply did.
    enum Completion: Equatable {
        /// It ended its call.
        case completed
        /// No call has that id (a late reply, or a forged one).
        case unknown
        /// A call has that id, but another peer holds it: the reply was ignored.
        case wrongPeer
    }

    /// Ends a call with its reply from `peer`.
    @discardableResult
    func complete(_ id: UInt64, from peer: PeerAddress, with outcome: Outcome) -> Completion {
        let result = withEntries { entries -> (Completion, Entry?) in
            guard let entry = entries[id] else { return (.unknown, nil) }
            guard let holder = entry.peer, Self.answers(holder, from: peer) else { return (.wrongPeer, nil) }
            return (.completed, entries.removeValue(forKey: id))
        }
        result.1?.continuation.resume(with: outcome.mapError { $0 as any Error })
        return result.0
    }

    /// Ends a call this process gave up on by itself (cancelled, or its peer is gone).
    /// - Returns: false when it had already ended.
    @discardableResult
    func end(_ id: UInt64, with error: TroupeError) -> Bool {
        guard let entry = withEntries({ $0.removeValue(forKey: id) }) else { return false }
        entry.continuation.resume(throwing: error)
        return true
    }

    /// Whether a reply from `peer` may answer a call sent to `holder`: the same peer, or the
    /// supervisor connection a service call went through.
    private static func answers(_ holder: PeerAddress, from peer: PeerAddress) -> Bool {
        if holder == peer { return true }
        if case .service(let endpoint, _) = holder, case .connection(let through) = peer { return endpoint == through }
        return false
    }

    /// Fails every call waiting on a peer that matches `predicate` (parked calls wait on none).
    @discardableResult
    func failAll(where predicate: (PeerAddress) -> Bool, with error: TroupeError) -> Int {
        let failed = withEntries { entries in
            let ids = entries.compactMap { entry in entry.value.peer.map(predicate) == true ? entry.key : nil }
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

    /// The calls waiting on `peer`, in the order they left this process.
    func outstanding(to peer: PeerAddress) -> [Summary] {
        withEntries { entries in
            entries.compactMap { id, entry in
                entry.peer == peer ? Summary(id: id, owner: entry.owner, sequence: entry.sequence) : nil
            }
        }.sorted { ($0.sequence ?? .max, $0.id) < ($1.sequence ?? .max, $1.id) }
    }

    /// Where a pending call was sent; nil when it has ended or is parked.
    func peer(of id: UInt64) -> PeerAddress? {
        withEntries { $0[id]?.peer }
    }

    /// The owner of a pending call.
    func owner(of id: UInt64) -> CallOwner? {
        withEntries { $0[id]?.owner }
    }

    /// Parks a call that never started where it was sent, to be sent again with
    /// ``takeForResending(_:to:)`` (or failed).
    /// - Returns: false when the call has ended, or cannot be sent again (it kept no envelope).
    @discardableResult
    func park(_ id: UInt64) -> Bool {
        withEntries { entries in
            guard entries[id]?.call != nil else { return false }
            entries[id]?.peer = nil
            entries[id]?.sequence = nil
            return true
        }
    }

    /// The parked calls of `owner`.
    func parked(ownedBy owner: CallOwner) -> [UInt64] {
        withEntries { entries in
            entries.compactMap { id, entry in entry.peer == nil && entry.owner == owner ? id : nil }
        }
    }

    /// Takes a parked call to send it again to `peer`, addressed to its actor there.
    /// - Returns: the envelope to send, or nil when the call has ended.
    func takeForResending(_ id: UInt64, to peer: PeerAddress, actor: UInt64) -> Envelope.Call? {
        withEntries { entries in
            guard let entry = entries[id], entry.peer == nil, var call = entry.call else { return nil }
            call.actor = actor
            entry.peer = peer
            return call
        }
    }
}

/// The pool task a call belongs to.
struct CallOwner: Hashable, Sendable {
    /// The pool's number in this process.
    let pool: UInt64
    /// The task's number in its pool.
    let job: UInt64
}
