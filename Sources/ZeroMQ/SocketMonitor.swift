internal import TroupePlatform
internal import CZeroMQ
internal import Synchronization

/// Receives the ``SocketEvent``s of a monitored socket: connections made and lost,
/// handshakes that succeed or fail (wrong CURVE key, ZAP refusal), over-size messages that
/// cost a connection.
///
/// It starts libzmq's monitor on the target (`zmq_socket_monitor`, publishing on a fresh
/// `inproc://` endpoint) and connects its own PAIR ``socket`` there. The monitor may then
/// be used on another thread than the target (pass it on with `sending`); poll its
/// ``socket`` with a ``Poller`` to wait on events and other sockets together.
///
/// Events are queued up to the PAIR socket's high-water mark and dropped beyond it, so
/// read them regularly.
public final class SocketMonitor {
    /// The `inproc://` endpoint the events are published on.
    public let endpoint: String

    /// The PAIR socket receiving the events (poll it, or set its
    /// ``SocketOption/receiveTimeout``).
    public let socket: Socket

    /// Counter making monitor endpoints unique within the process.
    private static let sequence = Atomic<Int>(0)

    /// Starts monitoring a socket.
    ///
    /// - Parameters:
    ///   - target: The socket to watch; call this on the thread that owns it.
    ///   - events: The kinds to report.
    /// - Throws: ``ZMQError``, e.g. when `target` is closed or already monitored on the
    ///   same endpoint.
    public init(monitoring target: Socket, events: SocketEvent.Kind = .all) throws {
        let number = SocketMonitor.sequence.add(1, ordering: .relaxed).newValue
        let endpoint = "inproc://zeromq-swift.monitor.\(getpid()).\(number)"
        try target.startMonitor(endpoint: endpoint, events: events)
        do {
            let socket = try Socket(target.context, type: .pair)
            try socket.set(.linger, .zero)
            try socket.connect(endpoint)
            self.socket = socket
        } catch {
            try? target.stopMonitor()
            throw error
        }
        self.endpoint = endpoint
    }

    /// Receives the next event.
    ///
    /// - Parameter dontWait: `true` to return `nil` at once when no event is waiting.
    /// - Returns: The event, or `nil` when none was waiting (`dontWait`) or the socket's
    ///   ``SocketOption/receiveTimeout`` expired.
    /// - Throws: ``ZMQError``: `EPROTO` for a message that is not a monitor event, or as
    ///   ``Socket/receive(into:dontWait:)->Bool``.
    public func receive(dontWait: Bool = false) throws -> SocketEvent? {
        guard let frames = try socket.receiveMultipart(dontWait: dontWait) else { return nil }
        guard let event = SocketEvent(frames: frames) else {
            throw ZMQError(
                code: EPROTO, operation: "SocketMonitor.receive(\(endpoint))",
                message: "received \(frames.count) frame(s) that are not a libzmq monitor event")
        }
        return event
    }

    /// Receives events until one of the given kinds arrives, discarding the others.
    ///
    /// - Parameters:
    ///   - kinds: The kinds to wait for.
    ///   - timeout: The longest wait for each event (``Socket/Timeout/infinite`` waits
    ///     forever); sets the socket's ``SocketOption/receiveTimeout``.
    /// - Returns: The first matching event, or `nil` when no event arrived within a
    ///   `timeout`.
    /// - Throws: ``ZMQError``, as ``receive(dontWait:)``.
    public func next(of kinds: SocketEvent.Kind, timeout: Socket.Timeout) throws -> SocketEvent? {
        try socket.set(.receiveTimeout, timeout)
        while let event = try receive() {
            if !event.kind.isDisjoint(with: kinds) { return event }
        }
        return nil
    }

    /// Closes the monitor's socket. The target keeps publishing into the void until it
    /// is closed or ``Socket/stopMonitor()`` is called on it.
    public func close() {
        socket.close()
    }
}

extension Socket {
    /// Starts publishing this socket's events as two-frame messages on an `inproc://`
    /// endpoint (`zmq_socket_monitor`); connect a PAIR socket there to read them, or use
    /// ``SocketMonitor``, which does both.
    ///
    /// - Parameters:
    ///   - endpoint: An `inproc://` endpoint not yet in use in this context.
    ///   - events: The kinds to report.
    /// - Throws: ``ZMQError``: `EPROTONOSUPPORT` for another transport, `EADDRINUSE` for
    ///   an endpoint in use, ``ZMQError/isClosedSocket``.
    public func startMonitor(endpoint: String, events: SocketEvent.Kind = .all) throws {
        let handle = try liveHandle("zmq_socket_monitor(\(endpoint))")
        if zmq_socket_monitor(handle, endpoint, Int32(events.rawValue)) != 0 {
            throw ZMQError.last("zmq_socket_monitor(\(endpoint))")
        }
    }

    /// Stops the monitor started on this socket; a ``SocketEvent/Kind/monitorStopped``
    /// event is its last.
    ///
    /// - Throws: ``ZMQError/isClosedSocket`` after ``close()``.
    public func stopMonitor() throws {
        let handle = try liveHandle("zmq_socket_monitor(stop)")
        if zmq_socket_monitor(handle, nil, 0) != 0 {
            throw ZMQError.last("zmq_socket_monitor(stop)")
        }
    }
}
