internal import CZeroMQ

/// One event from a socket monitor: what happened on a monitored socket's connections.
///
/// libzmq sends each event as a two-frame message (ZMQ 4.x format): a 6-byte frame with
/// the event number (16 bits) and a value (32 bits), both in host byte order, then the
/// endpoint as text. ``init(frames:)`` decodes it; ``SocketMonitor`` does it for you.
public struct SocketEvent: Sendable, Hashable, CustomStringConvertible {
    /// Event kinds (`ZMQ_EVENT_*`); a set of them selects what a monitor reports.
    public struct Kind: OptionSet, Sendable, Hashable, CustomStringConvertible {
        /// The `ZMQ_EVENT_*` bits.
        public let rawValue: UInt16

        /// Creates a set from `ZMQ_EVENT_*` bits.
        ///
        /// - Parameter rawValue: The bits.
        public init(rawValue: UInt16) {
            self.rawValue = rawValue
        }

        /// A connection was established; value: the file descriptor.
        public static let connected = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECTED))
        /// A connect is pending (the peer is not there yet); value: the errno.
        public static let connectDelayed = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECT_DELAYED))
        /// A reconnect was scheduled; value: the reconnect interval in ms.
        public static let connectRetried = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECT_RETRIED))
        /// A bind succeeded; value: the listening file descriptor.
        public static let listening = Kind(rawValue: UInt16(ZMQ_EVENT_LISTENING))
        /// A bind failed; value: the errno.
        public static let bindFailed = Kind(rawValue: UInt16(ZMQ_EVENT_BIND_FAILED))
        /// A connection was accepted; value: the file descriptor.
        public static let accepted = Kind(rawValue: UInt16(ZMQ_EVENT_ACCEPTED))
        /// Accepting a connection failed; value: the errno.
        public static let acceptFailed = Kind(rawValue: UInt16(ZMQ_EVENT_ACCEPT_FAILED))
        /// A connection's descriptor was closed; value: the file descriptor.
        public static let closed = Kind(rawValue: UInt16(ZMQ_EVENT_CLOSED))
        /// Closing a descriptor failed; value: the errno.
        public static let closeFailed = Kind(rawValue: UInt16(ZMQ_EVENT_CLOSE_FAILED))
        /// A session ended (peer gone, or a protocol error such as an over-size message);
        /// value: the file descriptor.
        public static let disconnected = Kind(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED))
        /// Monitoring stopped (the socket closed or ``Socket/stopMonitor()``); the last event.
        public static let monitorStopped = Kind(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED))
        /// A handshake failed before any security step (e.g. a timeout); value: the errno.
        public static let handshakeFailedNoDetail = Kind(
            rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        /// The ZMTP handshake, security included, completed; value: 0.
        public static let handshakeSucceeded = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
        /// The handshake failed on a protocol error (wrong CURVE key, mechanism mismatch);
        /// value: a `ZMQ_PROTOCOL_ERROR_*` code.
        public static let handshakeFailedProtocol = Kind(
            rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
        /// The ZAP handler refused the peer; value: the ZAP status code (300, 400, 500).
        public static let handshakeFailedAuth = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
        /// Every event (`ZMQ_EVENT_ALL`).
        public static let all = Kind(rawValue: UInt16(ZMQ_EVENT_ALL))

        /// The names of the kinds in the set.
        public var description: String {
            let names: [(Kind, String)] = [
                (.connected, "connected"), (.connectDelayed, "connectDelayed"),
                (.connectRetried, "connectRetried"), (.listening, "listening"),
                (.bindFailed, "bindFailed"), (.accepted, "accepted"),
                (.acceptFailed, "acceptFailed"), (.closed, "closed"),
                (.closeFailed, "closeFailed"), (.disconnected, "disconnected"),
                (.monitorStopped, "monitorStopped"),
                (.handshakeFailedNoDetail, "handshakeFailedNoDetail"),
                (.handshakeSucceeded, "handshakeSucceeded"),
                (.handshakeFailedProtocol, "handshakeFailedProtocol"),
                (.handshakeFailedAuth, "handshakeFailedAuth"),
            ]
            let found = names.filter { contains($0.0) }.map(\.1)
            let known = names.reduce(into: Kind()) { $0.formUnion($1.0) }
            let unknown = subtracting(known)
            let all = unknown.isEmpty ? found : found + ["0x" + String(unknown.rawValue, radix: 16)]
            return all.count == 1 ? all[0] : "[" + all.joined(separator: ", ") + "]"
        }
    }

    /// What happened (a single kind).
    public let kind: Kind

    /// The event's value: a file descriptor, an errno, an interval, a protocol error code
    /// or a ZAP status code, depending on ``kind``.
    public let value: UInt32

    /// The endpoint the event concerns, e.g. `tcp://127.0.0.1:5555`.
    public let endpoint: String

    /// Creates an event.
    ///
    /// - Parameters:
    ///   - kind: What happened.
    ///   - value: The kind-specific value.
    ///   - endpoint: The endpoint concerned.
    public init(kind: Kind, value: UInt32, endpoint: String) {
        self.kind = kind
        self.value = value
        self.endpoint = endpoint
    }

    /// Decodes a monitor message from its two frames.
    ///
    /// - Parameters:
    ///   - eventFrame: The first frame: exactly 6 bytes (event, value).
    ///   - endpointFrame: The second frame: the endpoint text.
    /// - Returns: The event, or `nil` when the first frame is not 6 bytes long.
    public init?(eventFrame: UnsafeRawBufferPointer, endpointFrame: UnsafeRawBufferPointer) {
        guard eventFrame.count == 6 else { return nil }
        kind = Kind(rawValue: eventFrame.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
        value = eventFrame.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
        endpoint = String(decoding: endpointFrame, as: UTF8.self)
    }

    /// Decodes a monitor message as received with ``Socket/receiveMultipart(dontWait:)``.
    ///
    /// - Parameter frames: The message's frames.
    /// - Returns: The event, or `nil` unless there are exactly two frames of the right form.
    public init?(frames: [Message]) {
        guard frames.count == 2 else { return nil }
        let decoded = frames[0].withUnsafeBytes { event in
            frames[1].withUnsafeBytes { endpoint in
                SocketEvent(eventFrame: event, endpointFrame: endpoint)
            }
        }
        guard let decoded else { return nil }
        self = decoded
    }

    /// E.g. `"disconnected tcp://127.0.0.1:5555 (value 12)"`.
    public var description: String { "\(kind) \(endpoint) (value \(value))" }
}
