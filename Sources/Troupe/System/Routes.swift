import Synchronization

/// How this process reaches other nodes, and which peers it found unreachable.
final class Routes: Sendable {
    private let routes = Mutex<[String: PeerAddress]>([:])
    private let unreachable = Mutex<Set<PeerAddress>>([])

    /// Where to send messages for the actor `id`.
    func address(of id: TroupeActorID) -> PeerAddress? {
        if let name = id.serviceName, let endpoint = id.endpoint { return .service(endpoint: endpoint, name: name) }
        if let route = routes.withLock({ $0[id.node] }) { return route }
        if let endpoint = id.endpoint { return .connection(endpoint) }
        return nil
    }

    /// Records how to reach `node`.
    func set(_ address: PeerAddress, for node: String) {
        routes.withLock { $0[node] = address }
    }

    /// Forgets how to reach `node`.
    func remove(for node: String) {
        _ = routes.withLock { $0.removeValue(forKey: node) }
    }

    /// Notes that a send to `peer` failed because it is gone.
    /// - Returns: whether this is news.
    func markUnreachable(_ peer: PeerAddress) -> Bool {
        unreachable.withLock { $0.insert(peer).inserted }
    }

    /// Whether a send to `peer` has failed because it is gone.
    func isUnreachable(_ peer: PeerAddress) -> Bool {
        unreachable.withLock { $0.contains(peer) }
    }

    /// Forgets that `peer` was unreachable (its exit has been handled).
    func forgetUnreachable(_ peer: PeerAddress) {
        _ = unreachable.withLock { $0.remove(peer) }
    }
}
