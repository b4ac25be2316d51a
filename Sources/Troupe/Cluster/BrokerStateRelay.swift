import Synchronization
import TroupeWire

/// Relays the shared-state operations of this process's own workers to the standalone
/// supervisor that holds the containers: a local worker of a client has neither a
/// connection to that supervisor nor its keys, so the proxies it receives send their
/// operations here, and this process performs them through its own connection.
///
/// At the supervisor, a relayed operation is this process's: a lock taken for a worker is
/// held by this process's connection (and by the proxy's token). So that a worker's death
/// frees what it held, the relay remembers the locks its workers took and releases them when
/// one dies; an element or a lock that arrives for a worker already dead is given back.
final class BrokerStateRelay: Sendable {
    private struct HeldLock: Hashable {
        let container: String
        let token: UInt64
    }

    private struct State {
        var locks: [String: Set<HeldLock>] = [:]
        var deadNodes: Set<String> = []
        /// The system it relays for, once it has relayed anything.
        var system: TroupeActorSystem?
    }

    private let state = Mutex(State())

    /// Forwards `request` from the local process `node` (at `peer`) to the supervisor this
    /// process handed the container's proxy on for (or its only one), and answers `peer` when
    /// the supervisor does.
    /// - Returns: false when this process has no supervisor to relay to.
    func forward(_ request: Envelope.StateOperation, from peer: PeerAddress, node: String, system: TroupeActorSystem) -> Bool {
        let links = system.connectedSupervisors
        let endpoint = SharedStateRoute.relayEndpoint(for: request.container) ?? (links.count == 1 ? links.first?.endpoint : nil)
        guard let link = links.first(where: { $0.endpoint == endpoint }) else { return false }
        state.withLock { $0.system = system }
        let reference = SharedStateReference(node: SharedStateReference.supervisorNode(link.endpoint), endpoint: link.endpoint,
                                             name: request.container)
        // The worker's proxy has its own timeout; a blocking operation may wait much longer.
        let blocking = request.operation == "get" || request.operation == "acquire"
        Task {
            do {
                let value = try await system.stateCall(reference, operation: request.operation, arguments: request.arguments,
                                                       timeout: blocking ? .seconds(365 * 24 * 3600) : .seconds(60))
                guard await self.settle(request, answer: value, node: node, reference: reference, system: system) else { return }
                system.send(.return(Envelope.Return(callID: request.callID, value: value)), to: peer)
            } catch {
                let failure = error as? TroupeError ?? TroupeError(.ownerUnavailable, "\(error)")
                system.send(.throw(Envelope.Throw(failure: failure, callID: request.callID)), to: peer)
            }
        }
        return true
    }

    /// Records the locks a worker took or gave back; gives back what arrives for a dead one.
    /// - Returns: whether to answer the worker.
    private func settle(_ request: Envelope.StateOperation, answer: [UInt8], node: String,
                        reference: SharedStateReference, system: TroupeActorSystem) async -> Bool {
        let token = request.arguments.first.flatMap { try? MessagePackValue(decoding: $0) }?.uint64Value
        let value = try? MessagePackValue(decoding: answer)
        let dead = state.withLock { state -> Bool in
            let dead = state.deadNodes.contains(node)
            switch request.operation {
            case "acquire" where value == .bool(true) && !dead:
                if let token { state.locks[node, default: []].insert(HeldLock(container: request.container, token: token)) }
            case "release":
                if let token { state.locks[node]?.remove(HeldLock(container: request.container, token: token)) }
            default:
                break
            }
            return dead
        }
        guard dead else { return true }
        switch request.operation {
        case "acquire" where value == .bool(true):
            _ = try? await system.stateCall(reference, operation: "release", arguments: [request.arguments[0]], timeout: .seconds(60))
        case "get" where value != nil:
            // Back to the queue (at its end: Protocol 3 has no way to put it first).
            _ = try? await system.stateCall(reference, operation: "put", arguments: [answer], timeout: .seconds(60))
        default:
            break
        }
        return false
    }

    /// The local process `node` died: releases the locks it took through this relay.
    func release(node: String) {
        let (held, system) = state.withLock { state -> (Set<HeldLock>, TroupeActorSystem?) in
            guard state.system != nil else { return ([], nil) }
            state.deadNodes.insert(node)
            return (state.locks.removeValue(forKey: node) ?? [], state.system)
        }
        guard !held.isEmpty, let system else { return }
        for lock in held {
            guard let endpoint = SharedStateRoute.relayEndpoint(for: lock.container) ?? system.connectedSupervisors.first?.endpoint else { continue }
            let reference = SharedStateReference(node: SharedStateReference.supervisorNode(endpoint), endpoint: endpoint,
                                                 name: lock.container)
            Task {
                _ = try? await system.stateCall(reference, operation: "release", arguments: [MessagePackValue.uint(lock.token).encoded],
                                                timeout: .seconds(60))
            }
        }
    }
}
