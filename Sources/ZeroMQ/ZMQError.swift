internal import TroupePlatform
internal import CZeroMQ

/// An error reported by libzmq: the `zmq_errno()` code, its `zmq_strerror` text and the
/// call that failed.
///
/// Compare ``code`` with the errno constants, or use the helpers (``isAgain``,
/// ``isTerminated``, ``isHostUnreachable``…) for the cases a caller usually handles.
public struct ZMQError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error number (`zmq_errno()` at the time of the failure, or the errno this
    /// wrapper chose for a check of its own, such as `ENOTSOCK` for a closed socket).
    public let code: Int32

    /// A human-readable explanation: `zmq_strerror(code)`, or this wrapper's own text.
    public let message: String

    /// The call that failed with its main argument, e.g. `zmq_bind(ipc:///run/x)`.
    public let operation: String

    /// Creates an error from an error number.
    ///
    /// - Parameters:
    ///   - code: The errno value (libzmq's own codes such as `ETERM` included).
    ///   - operation: The call that failed, e.g. `zmq_connect(tcp://host:5555)`.
    ///   - message: The explanation; `nil` uses `zmq_strerror(code)`.
    public init(code: Int32, operation: String, message: String? = nil) {
        self.code = code
        self.operation = operation
        self.message = message ?? String(cString: zmq_strerror(code))
    }

    /// Captures `zmq_errno()` right after a failed call.
    ///
    /// - Parameter operation: The call that failed (evaluated only here, on the error path).
    /// - Returns: The error for the current errno.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        let code = zmq_errno()
        return ZMQError(code: code, operation: operation())
    }

    /// The error thrown when an operation is attempted on a socket that was closed.
    ///
    /// - Parameter operation: The call that was attempted.
    /// - Returns: An `ENOTSOCK` error saying what to do.
    static func closedSocket(_ operation: String) -> ZMQError {
        ZMQError(
            code: ENOTSOCK, operation: operation,
            message: "the socket is closed: create a new Socket to go on")
    }

    /// An `EINVAL` error for an argument this wrapper rejected before calling libzmq.
    ///
    /// - Parameters:
    ///   - operation: The call that was attempted.
    ///   - message: What was wrong and what to pass instead.
    /// - Returns: The error.
    static func invalidArgument(_ operation: String, _ message: String) -> ZMQError {
        ZMQError(code: EINVAL, operation: operation, message: message)
    }

    /// `EAGAIN`: a non-blocking call would block, or a send/receive timeout expired.
    public var isAgain: Bool { code == EAGAIN }

    /// `EINTR`: a signal interrupted the call. The blocking calls of this module retry by
    /// themselves, so a caller rarely sees it.
    public var isInterrupted: Bool { code == EINTR }

    /// `ETERM`: the socket's ``Context`` was shut down or terminated; close the socket.
    public var isTerminated: Bool { code == ETERM }

    /// `EHOSTUNREACH`: a ROUTER with ``SocketOption/routerMandatory`` was asked to send to a
    /// routing id that is not (or no longer) connected.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }

    /// `ENOTSOCK`: the socket was closed (or the handle is not a socket).
    public var isClosedSocket: Bool { code == ENOTSOCK }

    /// `EFSM`: the call is not allowed in the socket's current state (e.g. a REQ socket
    /// sending twice without receiving the reply in between).
    public var isInvalidState: Bool { code == EFSM }

    /// `"<operation> failed: <message> (errno <code>)"`.
    public var description: String {
        "\(operation) failed: \(message) (errno \(code))"
    }
}
