/// The error every Troupe API throws: a code to match on, a message that says what happened
/// and what to do, and the context it happened in.
///
/// Match on ``code``:
/// ```swift
/// do { try await result.get() }
/// catch let error as TroupeError where error.code == .workerCrashed { ... }
/// ```
/// Errors thrown by your own code in a worker come back with code ``Code/remote``, the thrown
/// type's name in ``remoteType`` and, when the thrown error is `Codable`, its value, which
/// ``decodeRemote(as:)`` recovers.
public struct TroupeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members, such as `.closed`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears on the wire and in messages.
        public let rawValue: String

        /// Creates a code from its name.
        /// - Parameter rawValue: the name, as it appears on the wire, such as `workerCrashed`.
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// The code's name.
        public var description: String { rawValue }

        /// The work threw an error in the worker; see ``TroupeError/remoteType``.
        public static let remote = Code("remote")
        /// The worker process died while it ran the task (crash, `kill -9`, out of memory).
        public static let workerCrashed = Code("workerCrashed")
        /// A worker on another host stopped answering (missed heartbeats or a cut link).
        public static let workerLost = Code("workerLost")
        /// A worker process could not be started, or exited before it said it was ready.
        public static let workerStartFailed = Code("workerStartFailed")
        /// The pool was terminated before the task finished.
        public static let terminated = Code("terminated")
        /// The pool is closed: it accepts no new work.
        public static let closed = Code("closed")
        /// An operation was called in the wrong state, such as `join()` before `close()`.
        public static let invalidState = Code("invalidState")
        /// A deadline passed before the operation finished.
        public static let timeout = Code("timeout")
        /// The task was cancelled.
        public static let cancelled = Code("cancelled")
        /// Too many worker restarts in too short a time; the pool gave up.
        public static let restartIntensityExceeded = Code("restartIntensityExceeded")
        /// The called function does not exist in the receiving process (a different build?).
        public static let unknownTarget = Code("unknownTarget")
        /// The called actor does not exist (any more) in the receiving process.
        public static let unknownActor = Code("unknownActor")
        /// The arguments or the result could not be encoded or decoded.
        public static let badArguments = Code("badArguments")
        /// A message that is not valid Troupe protocol was received or rejected.
        public static let malformedMessage = Code("malformedMessage")
        /// There is no connection to the process that owns the actor.
        public static let unknownPeer = Code("unknownPeer")
        /// `Troupe.bootstrap(workers:)` was not given the worker type the parent asked for.
        public static let unknownWorkerType = Code("unknownWorkerType")
        /// The operating system or ZeroMQ refused an operation (see the message).
        public static let system = Code("system")
        /// An argument was out of its allowed range.
        public static let invalidArgument = Code("invalidArgument")
        /// A shared-state index was outside the container.
        public static let indexOutOfRange = Code("indexOutOfRange")
        /// A shared-state container holds a different type than the one asked for.
        public static let typeMismatch = Code("typeMismatch")
        /// No shared-state container has that name.
        public static let unknownContainer = Code("unknownContainer")
        /// The shared-state owner cannot be reached.
        public static let ownerUnavailable = Code("ownerUnavailable")
        /// A key is not in the shared dictionary.
        public static let keyNotFound = Code("keyNotFound")
        /// A shared lock was released by a process that does not hold it.
        public static let lockNotHeld = Code("lockNotHeld")
        /// The peer's key is not allowed, or the security handshake failed.
        public static let unauthorized = Code("unauthorized")
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened, and what to do about it.
    public var message: String
    /// Where it happened: the worker, task, endpoint or container concerned.
    public var context: [String: String]
    /// For ``Code/remote``: the name of the type the worker threw.
    public var remoteType: String?
    /// For ``Code/remote``: the remote stack, where one was available.
    public var remoteStack: [String]
    /// For ``Code/remote``: the thrown error's own encoding, when it was `Codable`.
    public var remoteDetail: [UInt8]?

    /// Creates an error.
    /// - Parameters:
    ///   - code: what kind of failure this is.
    ///   - message: what happened and what to do.
    ///   - context: where it happened (worker, task, endpoint, container).
    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
        self.remoteType = nil
        self.remoteStack = []
        self.remoteDetail = nil
    }

    /// The code, the message, the remote type and the context, in one line:
    /// `workerCrashed: worker process 4242 killed by signal 9 (SIGKILL) while it ran the task (pid=4242)`.
    public var description: String {
        var text = "\(code): \(message)"
        if let remoteType { text += " [\(remoteType)]" }
        if !context.isEmpty {
            let details = context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            text += " (" + details.joined(separator: ", ") + ")"
        }
        return text
    }

    /// A copy with more context.
    func adding(_ context: [String: String]) -> TroupeError {
        var copy = self
        copy.context.merge(context) { _, new in new }
        return copy
    }
}
