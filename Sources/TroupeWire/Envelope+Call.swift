extension Envelope {
    /// A `CALL` envelope: `[1, call_id, actor, target, generics, args]`, or, with a trace
    /// context, `[1, call_id, actor, target, generics, args, trace]`.
    public struct Call: Sendable, Hashable {
        /// The caller's identifier for this call, echoed by its `RETURN` or `THROW`; never 0.
        public var callID: UInt64
        /// The receiving actor's identifier, as the receiver assigned it.
        public var actor: UInt64
        /// The distributed function's identifier (Swift's `RemoteCallTarget.identifier`).
        public var target: String
        /// The mangled names of the call's generic substitutions, in order.
        public var genericSubstitutions: [String]
        /// The arguments, each one complete MessagePack value as ``MessagePackEncoder`` wrote
        /// it; decode each with ``MessagePackDecoder`` as the parameter's type.
        public var arguments: [[UInt8]]
        /// The caller's trace context (the optional seventh element), or nil when the call
        /// carries none: it is then written with six elements, as a peer that predates the
        /// field expects.
        public var trace: TraceContext?

        /// Creates a `CALL`.
        /// - Parameters:
        ///   - callID: The caller's identifier for the call; must not be 0.
        ///   - actor: The receiving actor's identifier.
        ///   - target: The distributed function's identifier.
        ///   - genericSubstitutions: The mangled names of the generic substitutions.
        ///   - arguments: The encoded arguments, one MessagePack value each.
        ///   - trace: The caller's trace context, or nil for none.
        public init(callID: UInt64, actor: UInt64, target: String, genericSubstitutions: [String] = [], arguments: [[UInt8]] = [],
                    trace: TraceContext? = nil) {
            self.callID = callID
            self.actor = actor
            self.target = target
            self.genericSubstitutions = genericSubstitutions
            self.arguments = arguments
            self.trace = trace
        }
    }
}
