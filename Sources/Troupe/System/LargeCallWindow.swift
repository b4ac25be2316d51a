import DequeModule
import Synchronization

/// Holds back a large call to a peer while others as large are on their way to it or wait
/// in it, so that a `map` over big items does not put all of them in memory at once.
///
/// Each call in flight holds a copy of its arguments in this process, in ZeroMQ's queues
/// and in the worker. Sent all at once, 64 items of 8 MiB touch gigabytes of fresh pages,
/// which the kernel must zero; a few at a time, the same memory is used again. A call of at
/// least ``largeCallBytes`` waits here until the large calls in flight to its peer take
/// fewer than ``budget`` bytes (the first always goes), in the order the calls came.
///
/// When no large call to the peer has ended or left for ``longestWait``, the first waiting
/// call goes anyway: a call in flight that needs a later one to be sent (a worker that waits
/// for data its next call brings) is never blocked by the window, only delayed. A worker that
/// is merely slow keeps its window: its calls end, one after another. Small calls never wait.
final class LargeCallWindow: Sendable {
    /// The smallest call (its arguments, in bytes) that the window holds back.
    static let largeCallBytes = 1 << 20
    /// The bytes of large calls in flight to one peer beyond which the next one waits.
    static let budget = 32 << 20
    /// How long the window of a peer may see no progress before its first waiting call goes.
    static let longestWait: Duration = .seconds(1)

    private struct Waiter {
        let id: UInt64
        let bytes: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Peer {
        var bytesInFlight = 0
        var waiters: Deque<Waiter> = []
        /// When a large call to the peer last ended or left.
        var lastProgress = ContinuousClock.now
    }

    private struct State {
        var peers: [PeerAddress: Peer] = [:]
        var lastWaiterID: UInt64 = 0

        mutating func admit(_ bytes: Int, to peer: PeerAddress) {
            peers[peer, default: Peer()].bytesInFlight += bytes
            peers[peer]?.lastProgress = ContinuousClock.now
        }

        mutating func removeWaiter(_ id: UInt64, of peer: PeerAddress) -> Waiter? {
            guard let index = peers[peer]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return peers[peer]?.waiters.remove(at: index)
        }
    }

    private let state = Mutex(State())

    /// The bytes of the large calls in flight to `peer`.
    func bytesInFlight(to peer: PeerAddress) -> Int { state.withLock { $0.peers[peer]?.bytesInFlight ?? 0 } }

    /// How many large calls to `peer` wait for room.
    func waitingCount(to peer: PeerAddress) -> Int { state.withLock { $0.peers[peer]?.waiters.count ?? 0 } }

    /// Returns once a call of `bytes` may be sent to `peer`; ``leave(_:from:)`` must follow
    /// when it ends, however it ends.
    /// - Throws: `CancellationError` when the calling task is cancelled while it waits (it
    ///   then holds no room).
    func enter(_ bytes: Int, to peer: PeerAddress) async throws {
        let id = state.withLock { state -> UInt64? in
            let entry = state.peers[peer, default: Peer()]
            if entry.waiters.isEmpty && (entry.bytesInFlight == 0 || entry.bytesInFlight + bytes <= Self.budget) {
                state.admit(bytes, to: peer)
                return nil
            }
            state.lastWaiterID += 1
            return state.lastWaiterID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let queued = state.withLock { state -> Bool in
                    guard !Task.isCancelled else { return false }
                    state.peers[peer, default: Peer()].waiters.append(Waiter(id: id, bytes: bytes, continuation: continuation))
                    return true
                }
                guard queued else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                Task { [weak self] in
                    while true {
                        try? await Task.sleep(for: Self.longestWait)
                        guard let self, self.admitIfStalled(id, to: peer) == .stillWaiting else { return }
                    }
                }
            }
        } onCancel: {
            if let waiter = state.withLock({ $0.removeWaiter(id, of: peer) }) {
                waiter.continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Gives back the room of a call of `bytes` to `peer` that ended, and lets in the calls
    /// waiting for it, in order, while they fit.
    func leave(_ bytes: Int, from peer: PeerAddress) {
        let admitted = state.withLock { state -> [Waiter] in
            // Taken out while it changes, so that its waiters are not copied.
            guard var entry = state.peers.removeValue(forKey: peer) else { return [] }
            entry.bytesInFlight -= bytes
            entry.lastProgress = ContinuousClock.now
            var admitted: [Waiter] = []
            while let next = entry.waiters.first,
                  entry.bytesInFlight == 0 || entry.bytesInFlight + next.bytes <= Self.budget {
                entry.waiters.removeFirst()
                entry.bytesInFlight += next.bytes
                admitted.append(next)
            }
            if entry.bytesInFlight > 0 || !entry.waiters.isEmpty { state.peers[peer] = entry }
            return admitted
        }
        for waiter in admitted { waiter.continuation.resume() }
    }

    private enum LateAdmission { case admitted, stillWaiting, gone }

    /// Lets in the call `id` if it is the first to wait for `peer` and no large call to the
    /// peer has ended or left for ``longestWait``.
    private func admitIfStalled(_ id: UInt64, to peer: PeerAddress) -> LateAdmission {
        let (outcome, waiter) = state.withLock { state -> (LateAdmission, Waiter?) in
            guard let entry = state.peers[peer], entry.waiters.contains(where: { $0.id == id }) else { return (.gone, nil) }
            guard entry.waiters.first?.id == id, ContinuousClock.now - entry.lastProgress >= Self.longestWait,
                  let waiter = state.removeWaiter(id, of: peer) else { return (.stillWaiting, nil) }
            state.admit(waiter.bytes, to: peer)
            return (.admitted, waiter)
        }
        waiter?.continuation.resume()
        return outcome
    }
}
