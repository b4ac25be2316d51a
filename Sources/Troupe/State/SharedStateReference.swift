/// Where a shared container lives: the owner's node and endpoint, and the container's name.
/// Proxies carry it; it is what travels when a proxy is passed to a worker.
public struct SharedStateReference: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The owner's node name.
    public let node: String
    /// An endpoint where the owner accepts connections, if it binds one.
    public let endpoint: String?
    /// The container's name at the owner.
    public let name: String

    /// The reference as `name@node`.
    public var description: String { "\(name)@\(node)" }

    /// The node name standing for the state held by the supervisor at `endpoint`.
    static func supervisorNode(_ endpoint: String) -> String { "supervisor:" + endpoint }
}
