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
        // Above the body limit (payload and envelope), so that a body a little too large is
        // read and refused with `tooLarge`; libzmq drops the connection of a larger one.
        try socket.set(.maxMessageSize, Int64(maximumMessageSize + 2 * TroupeActorSystem.envelopeAllowance))
        try socket.set(.sendHighWaterMark, 0)
        try socket.set(.receiveHighWaterMark, 0)
        // Kernel buffers big enough that a large message crosses in a few wake-ups, not
        // hundreds (the kernel caps them at net.core.wmem_max / rmem_max).
        try socket.set(.sendBufferSize, Int32(4 << 20))
        try socket.set(.receiveBufferSize, Int32(4 << 20))
        return socket
    }
}
