import Synchronization
import TroupeWire

/// The READY commands of starting workers, handed to whoever waits for them: a pool or an
/// ``ActorProcess`` waiting for its new worker to say it is ready.
///
/// A start first says which worker it ``expect(_:)``s, then spawns it, then waits. Whatever
/// happens to that worker before the wait begins — its READY, or its death reported by
/// ``abandon(node:error:)`` — is kept for the wait, so a worker that dies at once fails its
/// start at once. Nothing is kept for a worker no start expects, so a late or forged READY
/// costs no memory.
final class ReadyWaiters: Sendable {
    /// A worker that said it is ready, and where it is.
    struct Arrival: Sendable {
        let ready: Envelope.Ready
        let peer: PeerAddress
    }

    /// Where the start of one worker stands.
    private enum Start {
        /// Spawned (or about to be); nothing heard yet, nobody waiting yet.
        case expected
        /// Its start waits for it.
        case waiting(CheckedContinuation<Arrival, any Error>)
        /// It said it is ready before its start waited.
        case arrived(Arrival)
        /// It failed (exited, timed out, was cancelled) before its start waited.
        case failed(any Error)
    }

    private let starts = Mutex([String: Start]())

    /// Says that a worker named `node` is being started, so what it does before
    /// ``wait(for:)`` is kept. Call it before spawning the process.
    func expect(_ node: String) {
        starts.withLock { $0[node] = .expected }
    }

    /// Forgets `node`, whose process could not be spawned.
    func forget(_ node: String) {
        _ = starts.withLock { $0.removeValue(forKey: node) }
    }

    /// Called on the mailbox's thread with each READY.
    func received(_ ready: Envelope.Ready, from peer: PeerAddress) {
        let arrival = Arrival(ready: ready, peer: peer)
        let waiter = starts.withLock { starts -> CheckedContinuation<Arrival, any Error>? in
            switch starts[ready.node] {
            case .expected:
                starts[ready.node] = .arrived(arrival)
                return nil
            case .waiting(let waiter):
                starts.removeValue(forKey: ready.node)
                return waiter
            case .arrived, .failed, nil:
                return nil
            }
        }
        waiter?.resume(returning: arrival)
    }

    /// Waits until the worker `node`, announced with ``expect(_:)``, says it is ready.
    /// - Throws: the error given to ``abandon(node:error:)``, whether it came before the wait
    ///   or during it; ``TroupeError`` `.invalidState` for a worker nobody expects.
    func wait(for node: String) async throws -> Arrival {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = starts.withLock { starts -> Result<Arrival, any Error>? in
                switch starts[node] {
                case .expected:
                    starts[node] = .waiting(continuation)
                    return nil
                case .arrived(let arrival):
                    starts.removeValue(forKey: node)
                    return .success(arrival)
                case .failed(let error):
                    starts.removeValue(forKey: node)
                    return .failure(error)
                case .waiting:
                    return .failure(TroupeError(.invalidState, "the start of worker \(node) is already awaited"))
                case nil:
                    return .failure(TroupeError(.invalidState, "no worker named \(node) is being started"))
                }
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Ends the start of `node` with `error` (its process exited, say), whether its wait
    /// has begun or not. Does nothing once the wait has ended.
    func abandon(node: String, error: TroupeError) {
        let waiter = starts.withLock { starts -> CheckedContinuation<Arrival, any Error>? in
            switch starts[node] {
            case .expected, .arrived:
                starts[node] = .failed(error)
                return nil
            case .waiting(let waiter):
                starts.removeValue(forKey: node)
                return waiter
            case .failed, nil:
                return nil
            }
        }
        waiter?.resume(throwing: error)
    }

    /// How many starts are awaited now (for tests).
    var waitingCount: Int {
        starts.withLock { starts in
            starts.values.count { if case .waiting = $0 { true } else { false } }
        }
    }

    /// How many starts are kept, awaited or not (for tests).
    var entryCount: Int { starts.withLock { $0.count } }
}
