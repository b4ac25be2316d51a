internal import TroupePlatform
internal import CZeroMQ

/// A ZeroMQ socket.
///
/// ## Threads
/// libzmq sockets are not thread-safe: a socket must be used by one thread at a time, and
/// blocking calls belong on a dedicated thread, not on Swift's cooperative pool. `Socket`
/// is therefore deliberately **not** `Sendable`. It can still be created on one thread and
/// then owned by another: create it in a disconnected region (a fresh local value) and pass
/// it to a `sending` parameter or a `sending` closure — a thread-spawning function that
/// takes `sending @escaping () -> Void`, `Task { }`, or an actor's initializer. The compiler
/// (region-based isolation, SE-0414/SE-0430) then rejects any later use on the creating
/// thread, which gives libzmq the "full memory barrier" hand-over it requires.
///
/// ## Lifetime
/// ``close()`` is idempotent and `deinit` closes the socket too; both apply the socket's
/// ``SocketOption/linger``. A socket keeps its ``Context`` alive; after `close()` every
/// operation throws ``ZMQError/isClosedSocket``.
public final class Socket {
    /// The context the socket belongs to (kept alive by the socket).
    public let context: Context

    /// The socket's pattern.
    public let type: SocketType

    /// The libzmq socket, `nil` once closed.
    var handle: UnsafeMutableRawPointer?

    /// Creates a socket (`zmq_socket`).
    ///
    /// - Parameters:
    ///   - context: The context that owns the socket's I/O.
    ///   - type: The socket pattern.
    /// - Throws: ``ZMQError``: `EMFILE` when the context's ``Context/Option/maxSockets`` is
    ///   reached, ``ZMQError/isTerminated`` when the context was shut down.
    public init(_ context: Context, type: SocketType) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.context = context
        self.type = type
        self.handle = handle
    }

    deinit {
        close()
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { handle == nil }

    /// Returns the live handle, or throws the closed-socket error.
    ///
    /// - Parameter operation: The call being attempted, for the error.
    /// - Returns: The libzmq socket.
    /// - Throws: ``ZMQError`` (`ENOTSOCK`) when closed.
    @inline(__always)
    func liveHandle(_ operation: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError.closedSocket(operation()) }
        return handle
    }

    /// Accepts connections on an endpoint (`zmq_bind`).
    ///
    /// - Parameter endpoint: `inproc://name`, `ipc:///path` or `tcp://interface:port`
    ///   (`tcp://127.0.0.1:*` picks a free port; read it back with ``lastEndpoint``).
    /// - Throws: ``ZMQError``, e.g. `EADDRINUSE`, `EPROTONOSUPPORT` or `EINVAL` for a
    ///   malformed endpoint.
    public func bind(_ endpoint: String) throws {
        let handle = try liveHandle("zmq_bind(\(endpoint))")
        if zmq_bind(handle, endpoint) != 0 { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    /// Connects to an endpoint (`zmq_connect`); the connection itself is made, and remade,
    /// in the background.
    ///
    /// - Parameter endpoint: `inproc://name`, `ipc:///path` or `tcp://host:port`.
    /// - Throws: ``ZMQError`` for a malformed endpoint or an unsupported transport.
    public func connect(_ endpoint: String) throws {
        let handle = try liveHandle("zmq_connect(\(endpoint))")
        if zmq_connect(handle, endpoint) != 0 { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// Stops accepting connections on an endpoint (`zmq_unbind`).
    ///
    /// - Parameter endpoint: The endpoint as bound; for a wildcard bind, the resolved
    ///   ``lastEndpoint``.
    /// - Throws: ``ZMQError`` (`ENOENT`) if the socket is not bound there.
    public func unbind(_ endpoint: String) throws {
        let handle = try liveHandle("zmq_unbind(\(endpoint))")
        if zmq_unbind(handle, endpoint) != 0 { throw ZMQError.last("zmq_unbind(\(endpoint))") }
    }

    /// Drops the connection to an endpoint (`zmq_disconnect`).
    ///
    /// - Parameter endpoint: The endpoint as passed to ``connect(_:)``.
    /// - Throws: ``ZMQError`` (`ENOENT`) if the socket is not connected there.
    public func disconnect(_ endpoint: String) throws {
        let handle = try liveHandle("zmq_disconnect(\(endpoint))")
        if zmq_disconnect(handle, endpoint) != 0 {
            throw ZMQError.last("zmq_disconnect(\(endpoint))")
        }
    }

    /// Closes the socket (`zmq_close`). Messages still queued are sent in the background
    /// for at most ``SocketOption/linger``. Calling it again does nothing.
    public func close() {
        guard let handle else { return }
        self.handle = nil
        _ = zmq_close(handle)
    }
}
