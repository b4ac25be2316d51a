import Synchronization
@_spi(Testing) import Troupe

/// The wires between the in-memory transports of one ``InMemoryCluster``: who is bound at
/// which endpoint, and which transport a routing identity belongs to.
final class InMemoryNetwork: Sendable {
    private struct State {
        var bound: [String: InMemoryTransport] = [:]
        var lastEndpoint = 0
    }

    private let state = Mutex(State())

    /// A fresh endpoint name.
    func makeEndpoint(_ name: String) -> String {
        state.withLock { state in
            state.lastEndpoint += 1
            return "memory://\(name)-\(state.lastEndpoint)"
        }
    }

    func bind(_ transport: InMemoryTransport, at endpoint: String) {
        state.withLock { $0.bound[endpoint] = transport }
    }

    func unbind(_ endpoint: String) {
        _ = state.withLock { $0.bound.removeValue(forKey: endpoint) }
    }

    /// The transport bound at `endpoint`, if it is still there.
    func transport(at endpoint: String) -> InMemoryTransport? {
        state.withLock { $0.bound[endpoint] }
    }
}
