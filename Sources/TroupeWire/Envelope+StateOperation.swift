extension Envelope {
    /// A `STATE` envelope: `[32, call_id, container, op, args]` — an operation on a container of
    /// a shared-state owner, answered by a `RETURN` or `THROW` with the same call id.
    public struct StateOperation: Sendable, Hashable {
        /// The caller's identifier for the operation; never 0.
        public var callID: UInt64
        /// The name of the container operated on.
        public var container: String
        /// The operation's name (Protocol 3 lists them).
        public var operation: String
        /// The operation's arguments, each one complete MessagePack value.
        public var arguments: [[UInt8]]

        /// Creates a `STATE` operation.
        /// - Parameters:
        ///   - callID: The caller's identifier for the operation; must not be 0.
        ///   - container: The name of the container operated on.
        ///   - operation: The operation's name.
        ///   - arguments: The encoded arguments, one MessagePack value each.
        public init(callID: UInt64, container: String, operation: String, arguments: [[UInt8]] = []) {
            self.callID = callID
            self.container = container
            self.operation = operation
            self.arguments = arguments
        }
    }
}
