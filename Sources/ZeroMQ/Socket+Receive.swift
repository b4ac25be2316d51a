internal import TroupePlatform
internal import CZeroMQ

extension Socket {
    /// Receives one frame into an existing ``Message`` (`zmq_msg_recv`), replacing its
    /// content — the allocation-free way to receive in a loop. Retries by itself when a
    /// signal interrupts a blocking receive.
    ///
    /// - Parameters:
    ///   - message: The message to fill; its previous content is released.
    ///   - dontWait: `true` to return `false` at once when no frame is waiting.
    /// - Returns: `true` when a frame was received; `false` when none was waiting
    ///   (`dontWait`) or ``SocketOption/receiveTimeout`` expired (`message` is then
    ///   unchanged).
    /// - Throws: ``ZMQError``: ``ZMQError/isInvalidState`` (e.g. REQ receiving before
    ///   sending), ``ZMQError/isTerminated``, ``ZMQError/isClosedSocket``.
    @discardableResult
    public func receive(into message: Message, dontWait: Bool = false) throws -> Bool {
        guard let handle else { throw ZMQError.closedSocket("zmq_msg_recv") }
        let flags = dontWait ? ZMQ_DONTWAIT : 0
        while zmq_msg_recv(message.pointer, handle, flags) < 0 {
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw ZMQError(code: code, operation: "zmq_msg_recv(\(type))")
        }
        return true
    }

    /// Receives one frame.
    ///
    /// - Parameter dontWait: `true` to return `nil` at once when no frame is waiting.
    /// - Returns: The frame (check ``Message/more`` for the rest of a multipart message),
    ///   or `nil` when none was waiting (`dontWait`) or ``SocketOption/receiveTimeout``
    ///   expired.
    /// - Throws: ``ZMQError``, as ``receive(into:dontWait:)->Bool``.
    public func receive(dontWait: Bool = false) throws -> Message? {
        let message = Message()
        return try receive(into: message, dontWait: dontWait) ? message : nil
    }

    /// Receives every frame of the next message.
    ///
    /// - Parameter dontWait: `true` to return `nil` at once when no message is waiting.
    ///   (Once the first frame is there the others are too: libzmq delivers multipart
    ///   messages whole.)
    /// - Returns: The frames in order (for a ROUTER, the sender's routing id first), or
    ///   `nil` when no message was waiting or ``SocketOption/receiveTimeout`` expired.
    /// - Throws: ``ZMQError``, as ``receive(into:dontWait:)->Bool``; the frames already received
    ///   are released.
    public func receiveMultipart(dontWait: Bool = false) throws -> [Message]? {
        guard let first = try receive(dontWait: dontWait) else { return nil }
        var frames = [first]
        while let last = frames.last, last.more {
            let next = Message()
            // The rest of a multipart message is already queued: a blocking receive
            // returns at once (and is not cut short by a receive timeout).
            guard try receive(into: next) else {
                throw ZMQError(
                    code: EPROTO, operation: "zmq_msg_recv(\(type), multipart)",
                    message: "a multipart message ended early; the socket was probably shut down")
            }
            frames.append(next)
        }
        return frames
    }

    /// Receives one frame into a caller's buffer (`zmq_recv`) — the lowest-overhead
    /// receive for small frames of known maximum size.
    ///
    /// - Parameters:
    ///   - buffer: Where to copy the frame; a longer frame is truncated to its size.
    ///   - dontWait: `true` to return `nil` at once when no frame is waiting.
    /// - Returns: The frame's full size — more than `buffer.count` when it was truncated —
    ///   or `nil` when none was waiting (`dontWait`) or the receive timed out.
    /// - Throws: ``ZMQError``, as ``receive(into:dontWait:)->Bool``.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, dontWait: Bool = false) throws -> Int? {
        guard let handle else { throw ZMQError.closedSocket("zmq_recv") }
        let flags = dontWait ? ZMQ_DONTWAIT : 0
        while true {
            let size = zmq_recv(handle, buffer.baseAddress, buffer.count, flags)
            if size >= 0 { return Int(size) }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return nil }
            throw ZMQError(code: code, operation: "zmq_recv(\(type))")
        }
    }

    /// Receives one frame as a new array of bytes.
    ///
    /// - Parameter dontWait: `true` to return `nil` at once when no frame is waiting.
    /// - Returns: The frame's bytes, or `nil` when none was waiting or the receive timed
    ///   out.
    /// - Throws: ``ZMQError``, as ``receive(into:dontWait:)->Bool``.
    public func receiveBytes(dontWait: Bool = false) throws -> [UInt8]? {
        try receive(dontWait: dontWait)?.bytes
    }
}
