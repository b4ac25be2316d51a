/// How this process reaches another: through its own ROUTER socket, by the peer's routing
/// id (a worker that connected to us), or through a connection it made to the peer's endpoint.
enum PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// A peer connected to our bound socket, addressed by its routing id.
    case routed([UInt8])
    /// A node we connected to, addressed by its endpoint.
    case connection(String)

    var description: String {
        switch self {
        case .routed(let identity): return "peer " + String(decoding: identity, as: UTF8.self)
        case .connection(let endpoint): return endpoint
        }
    }
}
