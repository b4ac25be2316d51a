import NIOCore
import Synchronization

/// Tells those who wait where a server listens, once it does, or why it could not.
final class BindingReport: Sendable {
    private enum State {
        case waiting([CheckedContinuation<String, any Error>])
        case listening(String)
        case failed(any Error)
    }

    private let state = Mutex(State.waiting([]))
    private let host: String

    /// A report for a server asked to bind `host`.
    init(host: String) { self.host = host }

    /// The server's channel is bound.
    func listening(_ channel: any Channel) {
        let port = channel.localAddress?.port ?? 0
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        resolve(.listening(address))
    }

    /// The server could not start, or stopped.
    func failed(_ error: any Error) {
        resolve(.failed(error))
    }

    private func resolve(_ outcome: State) {
        let waiters = state.withLock { state -> [CheckedContinuation<String, any Error>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = outcome
            return waiters
        }
        for waiter in waiters {
            switch outcome {
            case .listening(let address): waiter.resume(returning: address)
            case .failed(let error): waiter.resume(throwing: error)
            case .waiting: break
            }
        }
    }

    /// Waits until the server listens.
    /// - Returns: `HOST:PORT`, the port resolved.
    func address() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let now = state.withLock { state -> State? in
                if case .waiting(let waiters) = state {
                    state = .waiting(waiters + [continuation])
                    return nil
                }
                return state
            }
            switch now {
            case .listening(let address)?: continuation.resume(returning: address)
            case .failed(let error)?: continuation.resume(throwing: error)
            case .waiting?, nil: break
            }
        }
    }
}
