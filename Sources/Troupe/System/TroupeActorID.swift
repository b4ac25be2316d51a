/// The identity of an actor in a Troupe system: the process (node) that hosts it, its number
/// within that node, and, when that node accepts connections, the endpoint to reach it.
///
/// IDs are `Codable`: passing a distributed actor as an argument or result sends its ID, and
/// the receiving process resolves it to a live reference.
public struct TroupeActorID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The name of the node (process) hosting the actor.
    public let node: String
    /// The actor's number within its node.
    public let number: UInt64
    /// A ZeroMQ endpoint where the node accepts connections, if it has one.
    public let endpoint: String?

    /// Creates an ID.
    /// - Parameters:
    ///   - node: the hosting node's name.
    ///   - number: the actor's number within the node.
    ///   - endpoint: where the node can be reached, if it binds an endpoint.
    public init(node: String, number: UInt64, endpoint: String? = nil) {
        self.node = node
        self.number = number
        self.endpoint = endpoint
    }

    /// Whether two IDs name the same actor: the same node and number (the endpoint is only
    /// how to reach it).
    /// - Parameters:
    ///   - lhs: an ID.
    ///   - rhs: another ID.
    /// - Returns: true when both name the same actor.
    public static func == (lhs: TroupeActorID, rhs: TroupeActorID) -> Bool {
        lhs.number == rhs.number && lhs.node == rhs.node
    }

    /// Hashes the node and the number, as ``==(_:_:)`` compares them.
    /// - Parameter hasher: the hasher to feed.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(node)
        hasher.combine(number)
    }

    /// The ID as `node/number`.
    public var description: String { "\(node)/\(number)" }

    /// The ID that stands for any worker serving `service` behind the standalone supervisor
    /// at `endpoint`: each call on it is routed to an idle worker of that type.
    static func service(_ service: String, at endpoint: String) -> TroupeActorID {
        TroupeActorID(node: servicePrefix + service, number: 0, endpoint: endpoint)
    }

    private static let servicePrefix = "service:"

    /// The service this ID stands for, when it is a service ID.
    var serviceName: String? {
        node.hasPrefix(Self.servicePrefix) ? String(node.dropFirst(Self.servicePrefix.count)) : nil
    }
}
