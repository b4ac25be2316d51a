/// Where a shared container lives: the owner's node and endpoint, and the container's name.
/// Proxies carry it; it is what travels when a proxy is passed to a worker.
public struct SharedStateReference: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The owner's node name.
    public let node: String
    /// An endpoint where the owner accepts connections, if it binds one.
    public let endpoint: String?
    /// The container's name at the owner.
    public let name: String
    /// For a container held by a standalone supervisor: the node of the process that handed
    /// the proxy on, which relays the operations of a process with no connection of its own
    /// to that supervisor (its own local workers, say).
    let via: String?

    init(node: String, endpoint: String?, name: String, via: String? = nil) {
        self.node = node
        self.endpoint = endpoint
        self.name = name
        self.via = via
    }

    /// The reference as `name@node`.
    public var description: String { "\(name)@\(node)" }

    /// Whether two references name the same container (the owner and the name; how a
    /// process reaches the owner does not count).
    /// - Parameters:
    ///   - lhs: a reference.
    ///   - rhs: another reference.
    /// - Returns: true when both name the same container.
    public static func == (lhs: SharedStateReference, rhs: SharedStateReference) -> Bool {
        lhs.node == rhs.node && lhs.name == rhs.name && lhs.endpoint == rhs.endpoint
    }

    /// Hashes what ``==(_:_:)`` compares.
    /// - Parameter hasher: the hasher to feed.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(node)
        hasher.combine(name)
        hasher.combine(endpoint)
    }

    /// The node name standing for the state held by the supervisor at `endpoint`.
    static func supervisorNode(_ endpoint: String) -> String { supervisorPrefix + endpoint }

    private static let supervisorPrefix = "supervisor:"

    /// Whether a standalone supervisor holds the container.
    var isHeldBySupervisor: Bool { node.hasPrefix(Self.supervisorPrefix) }

    /// The same reference, relayed by `node`.
    func relayed(by node: String) -> SharedStateReference {
        SharedStateReference(node: self.node, endpoint: endpoint, name: name, via: node)
    }
}
