extension Envelope {
    /// A `READY` envelope: `[16, node, pid, actor_type, actor]` — a worker announces itself.
    public struct Ready: Sendable, Hashable {
        /// The name of the host (node) the worker runs on.
        public var node: String
        /// The worker's process identifier.
        public var pid: Int64
        /// The worker's actor type (its Swift type name).
        public var actorType: String
        /// The identifier of the worker's actor, for `CALL`s to it.
        public var actor: UInt64

        /// Creates a `READY`.
        /// - Parameters:
        ///   - node: The name of the worker's host.
        ///   - pid: The worker's process identifier.
        ///   - actorType: The worker's actor type.
        ///   - actor: The identifier of the worker's actor.
        public init(node: String, pid: Int64, actorType: String, actor: UInt64) {
            self.node = node
            self.pid = pid
            self.actorType = actorType
            self.actor = actor
        }
    }

    /// A `REJECT` envelope: `[21, code, message]` — the sender could not decode a message.
    public struct Reject: Sendable, Hashable {
        /// The ``WireError/Code`` of the decoding failure, spelled as on the wire.
        public var code: String
        /// What was wrong, without quoting the rejected payload.
        public var message: String

        /// Creates a `REJECT`.
        /// - Parameters:
        ///   - code: The ``WireError/Code`` of the decoding failure.
        ///   - message: What was wrong.
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }

        /// Creates a `REJECT` that reports a decoding failure.
        /// - Parameter error: The failure to report.
        public init(_ error: WireError) {
            self.init(code: error.code.rawValue, message: error.description)
        }
    }
}
