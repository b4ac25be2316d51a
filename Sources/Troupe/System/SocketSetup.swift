import ZeroMQ

/// How Troupe sets up the sockets its messages travel on: the mailbox's and the broker's.
enum SocketSetup {
    /// A socket of `type` for Troupe messages: a deliberate linger, no high-water mark (the
    /// protocols bound what is in flight), and a size limit with room for the envelope's own
    /// fields around the largest payload.
    /// - Parameters:
    ///   - context: the context to create it in.
    ///   - type: the socket type.
    ///   - maximumMessageSize: the largest payload accepted, in bytes.
    ///   - linger: how long a closed socket may still try to send what it holds.
    /// - Returns: the socket, neither bound nor connected.
    /// - Throws: ``ZMQError`` when an option is refused.
    static func messageSocket(_ context: Context, type: SocketType, maximumMessageSize: Int,
                              linger: Duration = .milliseconds(200)) throws -> Socket {
        let socket = try Socket(context, type: type)
        try socket.set(.linger, Socket.Timeout(linger))
        try socket.set(.maxMessageSize, Int64(maximumMessageSize + 4096))
        try socket.set(.sendHighWaterMark, 0)
        try socket.set(.receiveHighWaterMark, 0)
        return socket
    }
}
