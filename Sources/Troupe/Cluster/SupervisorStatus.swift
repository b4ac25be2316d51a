/// What a standalone supervisor reports to `troupe status`: its workers, its queue, its
/// clients and what it rejected. It travels as the MessagePack payload of a STATUS command.
public struct SupervisorStatus: Codable, Sendable, Hashable {
    /// One worker process connected to the supervisor.
    public struct Worker: Codable, Sendable, Hashable {
        /// The worker's node name.
        public var node: String
        /// Its process id on its host.
        public var pid: Int64
        /// Its host's name, as it reported it.
        public var host: String
        /// The network address it connected from.
        public var address: String
        /// The actor types it serves.
        public var services: [String]
        /// "idle" or "busy".
        public var state: String
        /// Requests it has finished.
        public var tasksDone: Int
        /// Milliseconds since the supervisor last heard from it.
        public var lastHeardMilliseconds: Int
    }

    /// The endpoint the supervisor is bound to.
    public var endpoint: String
    /// "running", "closing" or "stopped".
    public var phase: String
    /// Whether CURVE security is on.
    public var secure: Bool
    /// Every connected worker.
    public var workers: [Worker]
    /// Requests waiting for a worker, by service.
    public var queued: [String: Int]
    /// Requests running on workers.
    public var running: Int
    /// Requests finished since the supervisor started.
    public var completed: Int
    /// Clients that have sent work or shared-state operations and are still heard from
    /// (peers that only ask for the status, such as `troupe status`, are not counted).
    public var clients: Int
    /// Workers declared lost (missed heartbeats).
    public var workersLost: Int
    /// Messages rejected as malformed, by error code.
    public var rejected: [String: Int]
    /// Connection attempts refused: by the key allow-list, or because their security
    /// handshake failed before (plaintext, a wrong server key). A refused peer retries, so
    /// one peer makes many attempts.
    public var unauthorized: Int
    /// Distinct keys the allow-list refused (peers, where ``unauthorized`` counts attempts);
    /// a peer whose handshake failed before showing a key is not among them.
    public var refusedKeys: Int
}
