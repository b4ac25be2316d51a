internal import TroupePlatform
internal import CZeroMQ

// MARK: - Setting and reading options

extension Socket {
    /// Sets a socket option (`zmq_setsockopt`).
    ///
    /// - Parameters:
    ///   - option: The option, e.g. `.linger`, `.routerMandatory`, `.curveServerKey`.
    ///   - value: Its new value, of the option's type.
    /// - Throws: ``ZMQError``: `EINVAL` for a value libzmq rejects or an option this socket
    ///   type does not have, ``ZMQError/isClosedSocket`` after ``close()``,
    ///   ``ZMQError/isTerminated`` after ``Context/shutdown()``.
    public func set<Value>(_ option: SocketOption<Value>, _ value: Value) throws {
        let handle = try liveHandle("zmq_setsockopt(\(option.name))")
        while option.write(handle, option.code, value) != 0 {
            if zmq_errno() != EINTR { throw ZMQError.last("zmq_setsockopt(\(option.name))") }
        }
    }

    /// Reads a socket option (`zmq_getsockopt`).
    ///
    /// - Parameter option: The option, e.g. `.sendHighWaterMark`.
    /// - Returns: Its current value.
    /// - Throws: ``ZMQError``: `EINVAL` for a write-only option, ``ZMQError/isClosedSocket``
    ///   after ``close()``, ``ZMQError/isTerminated`` after ``Context/shutdown()``.
    public func get<Value>(_ option: SocketOption<Value>) throws -> Value {
        let operation = "zmq_getsockopt(\(option.name))"
        let handle = try liveHandle(operation)
        while true {
            let result = Result { () throws(ZMQError) in try option.read(handle, option.code, operation) }
            if case .failure(let error) = result, error.isInterrupted { continue }
            return try result.get()
        }
    }

    /// Subscribes a SUB/XSUB socket to messages whose first frame starts with `prefix`
    /// (`ZMQ_SUBSCRIBE`).
    ///
    /// - Parameter prefix: The topic prefix; empty subscribes to everything.
    /// - Throws: ``ZMQError`` (`EINVAL` on a socket that is not SUB/XSUB).
    public func subscribe(_ prefix: [UInt8] = []) throws {
        try set(.bytes(ZMQ_SUBSCRIBE, "subscribe"), prefix)
    }

    /// Subscribes a SUB/XSUB socket to a UTF-8 topic prefix (`ZMQ_SUBSCRIBE`).
    ///
    /// - Parameter prefix: The topic prefix.
    /// - Throws: ``ZMQError`` (`EINVAL` on a socket that is not SUB/XSUB).
    public func subscribe(_ prefix: String) throws {
        try subscribe(Array(prefix.utf8))
    }

    /// Removes one subscription made with ``subscribe(_:)-([UInt8])`` (`ZMQ_UNSUBSCRIBE`).
    ///
    /// - Parameter prefix: The prefix as subscribed.
    /// - Throws: ``ZMQError`` (`EINVAL` on a socket that is not SUB/XSUB).
    public func unsubscribe(_ prefix: [UInt8] = []) throws {
        try set(.bytes(ZMQ_UNSUBSCRIBE, "unsubscribe"), prefix)
    }

    /// Removes one UTF-8 subscription (`ZMQ_UNSUBSCRIBE`).
    ///
    /// - Parameter prefix: The prefix as subscribed.
    /// - Throws: ``ZMQError`` (`EINVAL` on a socket that is not SUB/XSUB).
    public func unsubscribe(_ prefix: String) throws {
        try unsubscribe(Array(prefix.utf8))
    }
}

// MARK: - Read-only state

extension Socket {
    /// The socket's security mechanism (`ZMQ_MECHANISM`).
    public enum Mechanism: Int32, Sendable {
        /// `ZMQ_NULL`: no security.
        case null = 0
        /// `ZMQ_PLAIN`: clear-text user name and password.
        case plain = 1
        /// `ZMQ_CURVE`: CurveZMQ encryption and authentication.
        case curve = 2
        /// `ZMQ_GSSAPI`: Kerberos.
        case gssapi = 3
    }

    /// Which of ``PollEvents/readable`` / ``PollEvents/writable`` the socket is ready for
    /// now (`ZMQ_EVENTS`). Reading it also processes libzmq's pending internal commands,
    /// which is what re-arms ``fileDescriptor``.
    ///
    /// - Throws: ``ZMQError`` after ``close()`` or ``Context/shutdown()``.
    public var events: PollEvents {
        get throws {
            try get(.integer(
                ZMQ_EVENTS, "events", as: Int32.self, encode: { Int32($0.rawValue) },
                decode: { PollEvents(rawValue: Int16(truncatingIfNeeded: $0)) }))
        }
    }

    /// A file descriptor that becomes readable when the socket's ``events`` *may* have
    /// changed (`ZMQ_FD`), for integrating a socket into another event loop (epoll,
    /// kqueue, `DispatchSource`).
    ///
    /// It is edge-triggered and signals a state change, not data: after it fires (and
    /// after every send or receive on the socket) read ``events`` and drain the socket
    /// with `dontWait` calls until it returns `nil`/`false`, then wait again. Never read
    /// from or write to this descriptor; it belongs to libzmq and closes with the socket.
    ///
    /// - Throws: ``ZMQError`` after ``close()`` or ``Context/shutdown()``.
    public var fileDescriptor: Int32 {
        get throws { try get(.int32(ZMQ_FD, "fileDescriptor")) }
    }

    /// Whether the last frame received was followed by more frames of the same message
    /// (`ZMQ_RCVMORE`).
    ///
    /// - Throws: ``ZMQError`` after ``close()``.
    public var receiveMore: Bool {
        get throws { try get(.bool(ZMQ_RCVMORE, "receiveMore")) }
    }

    /// The endpoint of the last ``bind(_:)`` or ``connect(_:)`` (`ZMQ_LAST_ENDPOINT`), with
    /// wildcards resolved (e.g. `tcp://127.0.0.1:41237` after binding `tcp://127.0.0.1:*`);
    /// `nil` before any.
    ///
    /// - Throws: ``ZMQError`` after ``close()``.
    public var lastEndpoint: String? {
        get throws {
            let endpoint = try get(.string(ZMQ_LAST_ENDPOINT, "lastEndpoint", capacity: 1024))
            return endpoint.isEmpty ? nil : endpoint
        }
    }

    /// The security mechanism in use (`ZMQ_MECHANISM`).
    ///
    /// - Throws: ``ZMQError`` after ``close()``.
    public var mechanism: Mechanism {
        get throws {
            let raw = try get(.int32(ZMQ_MECHANISM, "mechanism"))
            guard let mechanism = Mechanism(rawValue: raw) else {
                throw ZMQError(
                    code: EPROTO, operation: "zmq_getsockopt(mechanism)",
                    message: "libzmq reported an unknown mechanism \(raw)")
            }
            return mechanism
        }
    }
}

// MARK: - The options

extension SocketOption where Value == Socket.Timeout {
    /// How long unsent messages are kept after ``Socket/close()`` (`ZMQ_LINGER`); libzmq's
    /// default is infinite. Context termination waits this long: set it deliberately.
    public static var linger: SocketOption { .timeout(ZMQ_LINGER, "linger") }
    /// How long a blocking send waits before giving up with `false` (`ZMQ_SNDTIMEO`;
    /// default infinite).
    public static var sendTimeout: SocketOption { .timeout(ZMQ_SNDTIMEO, "sendTimeout") }
    /// How long a blocking receive waits before giving up with `nil` (`ZMQ_RCVTIMEO`;
    /// default infinite).
    public static var receiveTimeout: SocketOption { .timeout(ZMQ_RCVTIMEO, "receiveTimeout") }
    /// The first delay before reconnecting (`ZMQ_RECONNECT_IVL`, default 100 ms);
    /// ``Socket/Timeout/infinite`` disables reconnection.
    public static var reconnectInterval: SocketOption {
        .timeout(ZMQ_RECONNECT_IVL, "reconnectInterval")
    }
    /// The longest reconnection delay when backing off exponentially
    /// (`ZMQ_RECONNECT_IVL_MAX`; zero, the default, means no back-off).
    public static var reconnectIntervalMax: SocketOption {
        .timeout(ZMQ_RECONNECT_IVL_MAX, "reconnectIntervalMax")
    }
    /// The longest a ZMTP handshake (including CURVE and ZAP) may take before the
    /// connection is dropped (`ZMQ_HANDSHAKE_IVL`, default 30 s; zero disables).
    public static var handshakeInterval: SocketOption {
        .timeout(ZMQ_HANDSHAKE_IVL, "handshakeInterval")
    }
    /// How often to send a ZMTP PING on an idle connection (`ZMQ_HEARTBEAT_IVL`; zero,
    /// the default, disables heartbeats).
    public static var heartbeatInterval: SocketOption {
        .timeout(ZMQ_HEARTBEAT_IVL, "heartbeatInterval")
    }
    /// How long to wait for any traffic after a PING before dropping the connection
    /// (`ZMQ_HEARTBEAT_TIMEOUT`; defaults to the heartbeat interval).
    public static var heartbeatTimeout: SocketOption {
        .timeout(ZMQ_HEARTBEAT_TIMEOUT, "heartbeatTimeout")
    }
    /// The time-to-live the peer is asked to apply to this connection
    /// (`ZMQ_HEARTBEAT_TTL`; 100 ms resolution, at most 6553.5 s).
    public static var heartbeatTTL: SocketOption { .timeout(ZMQ_HEARTBEAT_TTL, "heartbeatTTL") }
    /// How long a TCP connect may take (`ZMQ_CONNECT_TIMEOUT`; zero, the default, uses the
    /// operating system's).
    public static var connectTimeout: SocketOption {
        .timeout(ZMQ_CONNECT_TIMEOUT, "connectTimeout")
    }
}

extension SocketOption where Value == Int32 {
    /// The most outgoing messages queued per peer before sends block or drop
    /// (`ZMQ_SNDHWM`, default 1000; zero means unlimited).
    public static var sendHighWaterMark: SocketOption { .int32(ZMQ_SNDHWM, "sendHighWaterMark") }
    /// The most incoming messages queued per peer (`ZMQ_RCVHWM`, default 1000; zero means
    /// unlimited).
    public static var receiveHighWaterMark: SocketOption {
        .int32(ZMQ_RCVHWM, "receiveHighWaterMark")
    }
    /// TCP keep-alive (`ZMQ_TCP_KEEPALIVE`): `-1` the OS default, `0` off, `1` on.
    public static var tcpKeepalive: SocketOption { .int32(ZMQ_TCP_KEEPALIVE, "tcpKeepalive") }
    /// The kernel's listen backlog for a bound socket (`ZMQ_BACKLOG`, default 100).
    public static var backlog: SocketOption { .int32(ZMQ_BACKLOG, "backlog") }
    /// The kernel send buffer size in bytes (`ZMQ_SNDBUF`; `-1` the OS default).
    public static var sendBufferSize: SocketOption { .int32(ZMQ_SNDBUF, "sendBufferSize") }
    /// The kernel receive buffer size in bytes (`ZMQ_RCVBUF`; `-1` the OS default).
    public static var receiveBufferSize: SocketOption { .int32(ZMQ_RCVBUF, "receiveBufferSize") }
}

extension SocketOption where Value == Int64 {
    /// The largest message a peer may send; a larger one makes libzmq drop that
    /// connection (`ZMQ_MAXMSGSIZE`; `-1`, the default, means no limit). Not applied on
    /// `inproc://`.
    public static var maxMessageSize: SocketOption { .int64(ZMQ_MAXMSGSIZE, "maxMessageSize") }
}

extension SocketOption where Value == Bool {
    /// ROUTER: fail a send to an unknown or vanished routing id with `EHOSTUNREACH` instead
    /// of dropping it silently, and return `EAGAIN` when that peer's queue is full
    /// (`ZMQ_ROUTER_MANDATORY`). Write-only.
    public static var routerMandatory: SocketOption {
        .bool(ZMQ_ROUTER_MANDATORY, "routerMandatory")
    }
    /// ROUTER: let a new connection with the routing id of an existing one take it over
    /// instead of being refused (`ZMQ_ROUTER_HANDOVER`). Write-only.
    public static var routerHandover: SocketOption {
        .bool(ZMQ_ROUTER_HANDOVER, "routerHandover")
    }
    /// Queue messages only to completed connections, so that a send blocks (or fails with
    /// `dontWait`) until a peer is really there (`ZMQ_IMMEDIATE`).
    public static var immediate: SocketOption { .bool(ZMQ_IMMEDIATE, "immediate") }
    /// ROUTER/DEALER/REQ: send an empty message on connect, so a ROUTER peer learns this
    /// socket's routing id at once (`ZMQ_PROBE_ROUTER`). Write-only.
    public static var probeRouter: SocketOption { .bool(ZMQ_PROBE_ROUTER, "probeRouter") }
    /// Use IPv6 (and IPv4) for TCP (`ZMQ_IPV6`).
    public static var ipv6: SocketOption { .bool(ZMQ_IPV6, "ipv6") }
    /// Act as a CURVE server (`ZMQ_CURVE_SERVER`); also set ``curveSecretKey``.
    public static var curveServer: SocketOption { .bool(ZMQ_CURVE_SERVER, "curveServer") }
    /// Keep only the last message in the queues (`ZMQ_CONFLATE`; no multipart). Write-only.
    public static var conflate: SocketOption { .bool(ZMQ_CONFLATE, "conflate") }
    /// REQ: allow sending a new request without waiting for the reply to the last one
    /// (`ZMQ_REQ_RELAXED`). Write-only.
    public static var requestRelaxed: SocketOption { .bool(ZMQ_REQ_RELAXED, "requestRelaxed") }
    /// REQ: tag requests so that stale replies are dropped (`ZMQ_REQ_CORRELATE`). Write-only.
    public static var requestCorrelate: SocketOption {
        .bool(ZMQ_REQ_CORRELATE, "requestCorrelate")
    }
}

extension SocketOption where Value == [UInt8] {
    /// The routing id this socket presents to a ROUTER peer (`ZMQ_ROUTING_ID`): 1 to 255
    /// bytes, not starting with a zero byte; set before connecting.
    public static var routingID: SocketOption { .bytes(ZMQ_ROUTING_ID, "routingID") }
    /// ROUTER: the routing id to give the peer of the next ``Socket/connect(_:)``
    /// (`ZMQ_CONNECT_ROUTING_ID`). Write-only.
    public static var connectRoutingID: SocketOption {
        .bytes(ZMQ_CONNECT_ROUTING_ID, "connectRoutingID")
    }
}

extension SocketOption where Value == String {
    /// The ZAP domain sent to the ZAP handler (`inproc://zeromq.zap.01`) with each
    /// authentication request (`ZMQ_ZAP_DOMAIN`, at most 255 bytes).
    public static var zapDomain: SocketOption { .string(ZMQ_ZAP_DOMAIN, "zapDomain") }
}

extension SocketOption where Value == CurveKey {
    /// This socket's long-term CURVE public key (`ZMQ_CURVE_PUBLICKEY`; clients).
    public static var curvePublicKey: SocketOption {
        .curveKey(ZMQ_CURVE_PUBLICKEY, "curvePublicKey")
    }
    /// This socket's long-term CURVE secret key (`ZMQ_CURVE_SECRETKEY`; clients and
    /// servers).
    public static var curveSecretKey: SocketOption {
        .curveKey(ZMQ_CURVE_SECRETKEY, "curveSecretKey")
    }
    /// The server's public key a CURVE client expects (`ZMQ_CURVE_SERVERKEY`); setting it
    /// makes the socket a CURVE client.
    public static var curveServerKey: SocketOption {
        .curveKey(ZMQ_CURVE_SERVERKEY, "curveServerKey")
    }
}
