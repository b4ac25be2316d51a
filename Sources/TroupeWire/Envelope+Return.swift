extension Envelope {
    /// A `RETURN` envelope: `[2, call_id, value]`.
    public struct Return: Sendable, Hashable {
        /// The identifier of the call this answers.
        public var callID: UInt64
        /// The result, one complete MessagePack value (`nil`, `[0xc0]`, for `Void`).
        public var value: [UInt8]

        /// Creates a `RETURN`.
        /// - Parameters:
        ///   - callID: The identifier of the call this answers.
        ///   - value: The encoded result; `[0xc0]` (nil) for `Void`.
        public init(callID: UInt64, value: [UInt8] = [0xc0]) {
            self.callID = callID
            self.value = value
        }
    }
}
