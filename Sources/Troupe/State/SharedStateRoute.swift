import Synchronization

/// How this process reaches the owner of a shared container: a proxy names the container
/// and its owner, never the path one process took to reach it.
///
/// - An owner that this process saw die fails every call at once, with the reason.
/// - A container held by a standalone supervisor is reached through this process's own
///   connection to that supervisor (with its keys), whatever endpoint spelling the proxy
///   carries; a process with no such connection (a local worker of a client) sends the
///   operation to the process that handed it the proxy, which relays it.
/// - Any other owner is reached through the route to its node, or its endpoint.
enum SharedStateRoute {
    /// Owners known dead, by node, with what happened to them.
    private static let deadOwners = Mutex<[String: String]>([:])

    /// Records that the owner `node` is gone; its containers' calls fail at once from now on.
    /// - Parameters:
    ///   - node: the owner's node name.
    ///   - reason: what happened, as a clause: "exited with code 1".
    static func ownerDied(_ node: String, reason: String) {
        deadOwners.withLock { $0[node] = reason }
    }

    /// The error for a call to an owner known dead, if `reference`'s owner is one.
    static func deathError(for reference: SharedStateReference, operation: String) -> TroupeError? {
        guard let reason = deadOwners.withLock({ $0[reference.node] }) else { return nil }
        return TroupeError(.ownerUnavailable,
                           "the shared-state owner of '\(reference.name)' \(reason); its containers are gone, and \(operation) did not run",
                           context: ["container": reference.name, "owner": reference.node])
    }

    /// Where to send an operation on `reference` from `system`.
    /// - Returns: the peer, or nil when this process has no way to reach the owner.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner is known dead, or is a
    ///   supervisor this process is connected to but cannot reach now.
    static func peer(for reference: SharedStateReference, operation: String, in system: TroupeActorSystem) throws -> PeerAddress? {
        if let error = deathError(for: reference, operation: operation) { throw error }
        guard reference.isHeldBySupervisor else {
            return system.routes.address(of: TroupeActorID(node: reference.node, number: 0, endpoint: reference.endpoint))
        }
        let links = system.connectedSupervisors
        if let link = supervisorLink(for: reference, among: links) {
            if link.isUnreachable {
                throw TroupeError(.ownerUnavailable,
                                  "the supervisor at \(link.endpoint), which holds '\(reference.name)', is not answering (this process is trying to reach it again); \(operation) did not run",
                                  context: ["container": reference.name, "supervisor": link.endpoint])
            }
            return .connection(link.endpoint)
        }
        if links.count > 1 {
            throw TroupeError(.ownerUnavailable,
                              "this process is connected to several supervisors and none at \(reference.endpoint ?? "?"), which holds '\(reference.name)'",
                              context: ["container": reference.name])
        }
        if let via = reference.via, via != system.node,
           let relay = system.routes.address(of: TroupeActorID(node: via, number: 0, endpoint: nil)) {
            return relay
        }
        // No connection of this process to that supervisor: a direct one, without keys.
        return system.routes.address(of: TroupeActorID(node: reference.node, number: 0, endpoint: reference.endpoint))
    }

    /// The link that reaches the supervisor holding `reference`: the one for its endpoint, or
    /// the only one this process has (an endpoint may be spelled many ways).
    static func supervisorLink(for reference: SharedStateReference, among links: [BrokerLink]) -> BrokerLink? {
        links.first { $0.endpoint == reference.endpoint } ?? (links.count == 1 ? links.first : nil)
    }

    /// `reference` as this process hands it on: when this process reaches its supervisor
    /// itself, the receiver may have it relay the operations.
    static func handedOn(_ reference: SharedStateReference, by system: TroupeActorSystem) -> SharedStateReference {
        guard reference.isHeldBySupervisor, let link = supervisorLink(for: reference, among: system.connectedSupervisors) else {
            return reference
        }
        relayed.withLock { $0[reference.name] = link.endpoint }
        return reference.relayed(by: system.node)
    }

    /// The supervisors of the containers this process handed on, by container name.
    private static let relayed = Mutex<[String: String]>([:])

    /// The endpoint of the supervisor link through which this process relays operations on
    /// the container `name`: the one it handed the proxy on for.
    static func relayEndpoint(for name: String) -> String? {
        relayed.withLock { $0[name] }
    }
}

extension TroupeActorSystem {
    /// This process's links to standalone supervisors.
    var connectedSupervisors: [BrokerLink] {
        supervisorLinks.all
    }
}
