import Synchronization
import TroupeWire

/// The link commands READY and DISCONNECT as they arrive, handed to whoever waits for them:
/// a pool waiting for its workers to be ready, a worker told to leave.
final class LinkEvents: Sendable {
    /// A worker that said it is ready, and where it is.
    struct Arrival: Sendable {
        let ready: Envelope.Ready
        let peer: PeerAddress
    }

    private struct State {
        var readyWaiters: [String: CheckedContinuation<Arrival, any Error>] = [:]
        var earlyArrivals: [String: Arrival] = [:]
        var disconnectHandler: (@Sendable (String, PeerAddress) -> Void)?
    }

    private let state = Mutex(State())

    /// Called on the mailbox thread with each link command.
    func received(_ envelope: Envelope, from peer: PeerAddress) {
        switch envelope {
        case .ready(let ready):
            let arrival = Arrival(ready: ready, peer: peer)
            let waiter = state.withLock { state -> CheckedContinuation<Arrival, any Error>? in
                if let waiter = state.readyWaiters.removeValue(forKey: ready.node) { return waiter }
                state.earlyArrivals[ready.node] = arrival
                return nil
            }
            waiter?.resume(returning: arrival)
        case .disconnect(let reason):
            state.withLock { $0.disconnectHandler }?(reason, peer)
        default:
            break
        }
    }

    /// Waits until the worker `node` says it is ready. Cancel it with ``abandonReadyWait(node:error:)``.
    func waitForReady(node: String) async throws -> Arrival {
        try await withCheckedThrowingContinuation { continuation in
            let early = state.withLock { state -> Arrival? in
                if let arrival = state.earlyArrivals.removeValue(forKey: node) { return arrival }
                state.readyWaiters[node] = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
    }

    /// Ends a wait for `node` with `error` (its process exited, say).
    func abandonReadyWait(node: String, error: TroupeError) {
        let waiter = state.withLock { state in
            state.earlyArrivals.removeValue(forKey: node)
            return state.readyWaiters.removeValue(forKey: node)
        }
        waiter?.resume(throwing: error)
    }

    /// Sets what happens when a peer sends DISCONNECT.
    func onDisconnect(_ handler: @escaping @Sendable (String, PeerAddress) -> Void) {
        state.withLock { $0.disconnectHandler = handler }
    }
}
