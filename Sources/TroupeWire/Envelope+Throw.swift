extension Envelope {
    /// A `THROW` envelope: `[3, call_id, code, type, message, stack, detail]`.
    public struct Throw: Sendable, Hashable {
        /// Why a call failed: the `code` element of a `THROW`.
        public struct Code: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
            /// The code as it appears on the wire.
            public var rawValue: String

            /// Creates a code from its wire spelling; unknown spellings are kept.
            /// - Parameter rawValue: The code's wire spelling.
            public init(rawValue: String) { self.rawValue = rawValue }

            /// Creates a code from a string literal.
            /// - Parameter value: The code's wire spelling.
            public init(stringLiteral value: String) { self.rawValue = value }

            /// The called function threw; `type` and `message` describe the error.
            public static let remote: Code = "remote"
            /// The receiver has no distributed function with the call's target identifier.
            public static let unknownTarget: Code = "unknownTarget"
            /// The receiver has no actor with the call's actor identifier.
            public static let unknownActor: Code = "unknownActor"
            /// The arguments could not be decoded as the function's parameter types.
            public static let badArguments: Code = "badArguments"
            /// The result could not be encoded.
            public static let badResult: Code = "badResult"
            /// The envelope could not be processed.
            public static let malformed: Code = "malformed"
            /// The call was cancelled before it finished.
            public static let cancelled: Code = "cancelled"
            /// The process running the call died before answering.
            public static let workerCrashed: Code = "workerCrashed"
            /// The call did not finish within its deadline.
            public static let timedOut: Code = "timedOut"
            /// The call was taken back by its caller (`WITHDRAW`) before it started: it did
            /// not run, and may be sent elsewhere.
            public static let withdrawn: Code = "withdrawn"

            /// The code's wire spelling.
            public var description: String { rawValue }
        }

        /// The identifier of the call this answers.
        public var callID: UInt64
        /// Why the call failed.
        public var code: Code
        /// The thrown error's type name (`String(reflecting: type(of: error))`), or empty.
        public var type: String
        /// A human-readable description of the failure.
        public var message: String
        /// The remote stack, innermost frame first, when one is available.
        public var stack: [String]
        /// The thrown error itself, MessagePack-encoded, when it is `Codable`.
        public var detail: [UInt8]?

        /// Creates a `THROW`.
        /// - Parameters:
        ///   - callID: The identifier of the call this answers.
        ///   - code: Why the call failed.
        ///   - type: The thrown error's type name, or empty.
        ///   - message: A human-readable description of the failure.
        ///   - stack: The remote stack, innermost frame first.
        ///   - detail: The thrown error, MessagePack-encoded, when it is `Codable`.
        public init(callID: UInt64, code: Code, type: String = "", message: String, stack: [String] = [], detail: [UInt8]? = nil) {
            self.callID = callID
            self.code = code
            self.type = type
            self.message = message
            self.stack = stack
            self.detail = detail
        }
    }
}
