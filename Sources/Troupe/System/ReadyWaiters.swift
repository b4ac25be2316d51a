import Synchronization
import TroupeWire

/// The READY commands of starting workers, handed to whoever waits for them: a pool or an
/// ``ActorProcess`` waiting for its new worker to say it is ready.
final class ReadyWaiters: Sendable {
    /// A worker that said it is ready, and where it is.
    struct Arrival: Sendable {
        let ready: Envelope.Ready
        let peer: PeerAddress
    }

    private struct State {
        var waiters: [String: CheckedContinuation<Arrival, any Error>] = [:]
        var early: [String: Arrival] = [:]
    }

    private let state = Mutex(State())

    /// Called on the mailbox's thread with each READY.
    func received(_ ready: Envelope.Ready, from peer: PeerAddress) {
        let arrival = Arrival(ready: ready, peer: peer)
        let waiter = state.withLock { state -> CheckedContinuation<Arrival, any Error>? in
            if let waiter = state.waiters.removeValue(forKey: ready.node) { return waiter }
            state.early[ready.node] = arrival
            return nil
        }
        waiter?.resume(returning: arrival)
    }

    /// Waits until the worker `node` says it is ready. End the wait early with
    /// ``abandon(node:error:)``.
    func wait(for node: String) async throws -> Arrival {
        try await withCheckedThrowingContinuation { continuation in
            let early = state.withLock { state -> Arrival? in
                if let arrival = state.early.removeValue(forKey: node) { return arrival }
                state.waiters[node] = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
    }

    /// Ends a wait for `node` with `error` (its process exited, say).
    func abandon(node: String, error: TroupeError) {
        let waiter = state.withLock { state in
            state.early.removeValue(forKey: node)
            return state.waiters.removeValue(forKey: node)
        }
        waiter?.resume(throwing: error)
    }
}
