/// How this process reaches another: through its own ROUTER socket, by the peer's routing
/// id (a worker that connected to us), or through a connection it made to the peer's endpoint.
@_spi(Testing)
public enum PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// A peer connected to our bound socket, addressed by its routing id.
    case routed([UInt8])
    /// A node we connected to, addressed by its endpoint.
    case connection(String)
    /// Any worker serving `name`, reached through the standalone supervisor at `endpoint`
    /// (each call travels as a Protocol 2 REQUEST).
    case service(endpoint: String, name: String)
    /// The client of the request `request`, relayed by the supervisor at `endpoint` (a
    /// worker's reply travels as a Protocol 2 REPLY).
    case brokered(endpoint: String, request: UInt64)

    /// The peer, as log lines show it.
    public var description: String {
        switch self {
        case .routed(let identity): return "peer " + String(decoding: identity, as: UTF8.self)
        case .connection(let endpoint): return endpoint
        case .service(let endpoint, let name): return "\(name) at \(endpoint)"
        case .brokered(let endpoint, let request): return "request \(request) from \(endpoint)"
        }
    }
}
