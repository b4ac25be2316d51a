internal import TroupePlatform
internal import CZeroMQ

extension Socket {
    /// The `zmq_send` flags for a frame.
    @inline(__always)
    static func sendFlags(more: Bool, dontWait: Bool) -> Int32 {
        (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
    }

    /// Sends one frame, copying its bytes (`zmq_send`). Retries by itself when a signal
    /// interrupts a blocking send.
    ///
    /// - Parameters:
    ///   - bytes: The frame's content (copied before the call returns).
    ///   - more: `true` if more frames of the same message follow.
    ///   - dontWait: `true` to fail with `false` instead of blocking when the message
    ///     cannot be queued now (high-water mark reached, or no peer).
    /// - Returns: `true` when the frame was queued; `false` when it would have blocked
    ///   (`dontWait`) or ``SocketOption/sendTimeout`` expired.
    /// - Throws: ``ZMQError``: ``ZMQError/isHostUnreachable`` (ROUTER with
    ///   ``SocketOption/routerMandatory`` and an unknown routing id),
    ///   ``ZMQError/isInvalidState`` (e.g. REQ sending twice), ``ZMQError/isTerminated``,
    ///   ``ZMQError/isClosedSocket``.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        guard let handle else { throw ZMQError.closedSocket("zmq_send") }
        let flags = Socket.sendFlags(more: more, dontWait: dontWait)
        while zmq_send(handle, bytes.baseAddress, bytes.count, flags) < 0 {
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw ZMQError(code: code, operation: "zmq_send(\(type), \(bytes.count) bytes)")
        }
        return true
    }

    /// Sends one frame holding a copy of an array.
    ///
    /// - Parameters:
    ///   - bytes: The frame's content.
    ///   - more: `true` if more frames of the same message follow.
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when it would block or the send timed out.
    /// - Throws: ``ZMQError``, as ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws -> Bool {
        try bytes.withUnsafeBytes { try send($0, more: more, dontWait: dontWait) }
    }

    /// Sends one frame holding a copy of an array slice.
    ///
    /// - Parameters:
    ///   - bytes: The frame's content.
    ///   - more: `true` if more frames of the same message follow.
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when it would block or the send timed out.
    /// - Throws: ``ZMQError``, as ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(_ bytes: ArraySlice<UInt8>, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        try bytes.withUnsafeBytes { try send($0, more: more, dontWait: dontWait) }
    }

    /// Sends one frame holding the UTF-8 bytes of a string.
    ///
    /// - Parameters:
    ///   - string: The frame's content.
    ///   - more: `true` if more frames of the same message follow.
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when it would block or the send timed out.
    /// - Throws: ``ZMQError``, as ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(_ string: String, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        var string = string
        return try string.withUTF8 { try send(UnsafeRawBufferPointer($0), more: more, dontWait: dontWait) }
    }

    /// Sends a ``Message`` (`zmq_msg_send`) without copying it. On success libzmq takes
    /// the content and the message is left empty, ready for reuse; on failure it is
    /// unchanged and still owned by the caller.
    ///
    /// - Parameters:
    ///   - message: The frame to send.
    ///   - more: `true` if more frames of the same message follow.
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when it would block or the send timed out.
    /// - Throws: ``ZMQError``, as ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(_ message: Message, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        guard let handle else { throw ZMQError.closedSocket("zmq_msg_send") }
        let flags = Socket.sendFlags(more: more, dontWait: dontWait)
        while zmq_msg_send(message.pointer, handle, flags) < 0 {
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw ZMQError(code: code, operation: "zmq_msg_send(\(type), \(message.count) bytes)")
        }
        return true
    }

    /// Sends an array's bytes, handing its storage to libzmq instead of copying it when
    /// it is at least ``Message/zeroCopyThreshold`` bytes long (see
    /// ``Message/init(taking:)``); smaller frames are copied, which is faster for them.
    ///
    /// - Parameters:
    ///   - bytes: The frame's content; the caller may keep using its array.
    ///   - more: `true` if more frames of the same message follow.
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when it would block or the send timed out.
    /// - Throws: ``ZMQError``, as ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(taking bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws -> Bool {
        if bytes.count < Message.zeroCopyThreshold {
            return try send(bytes, more: more, dontWait: dontWait)
        }
        return try send(try Message(taking: bytes), more: more, dontWait: dontWait)
    }

    /// Sends a multipart message, copying each frame.
    ///
    /// libzmq delivers a multipart message whole or not at all. With `dontWait`, only the
    /// first frame can find the socket unable to take the message; once it is queued the
    /// remaining frames always are.
    ///
    /// - Parameters:
    ///   - frames: The frames, at least one (for a ROUTER, the routing id first).
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when the first frame would block or the send
    ///   timed out (nothing was sent).
    /// - Throws: ``ZMQError``: `EINVAL` for an empty `frames`, otherwise as
    ///   ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(multipart frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        guard let last = frames.indices.last else {
            throw ZMQError.invalidArgument(
                "zmq_send(multipart)", "a multipart message needs at least one frame")
        }
        for index in frames.indices {
            let sent = try send(frames[index], more: index != last, dontWait: dontWait && index == 0)
            if !sent { return false }  // Only the first frame can be refused.
        }
        return true
    }

    /// Sends a multipart message of ``Message`` frames without copying them; each frame
    /// sent is left empty (see ``send(_:more:dontWait:)-(Message,_,_)``).
    ///
    /// - Parameters:
    ///   - frames: The frames, at least one (for a ROUTER, the routing id first).
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when the first frame would block or the send
    ///   timed out (nothing was sent).
    /// - Throws: ``ZMQError``: `EINVAL` for an empty `frames`, otherwise as
    ///   ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(multipart frames: [Message], dontWait: Bool = false) throws -> Bool {
        guard let last = frames.indices.last else {
            throw ZMQError.invalidArgument(
                "zmq_msg_send(multipart)", "a multipart message needs at least one frame")
        }
        for index in frames.indices {
            let sent = try send(frames[index], more: index != last, dontWait: dontWait && index == 0)
            if !sent { return false }
        }
        return true
    }
}

/// Keeps an array alive while libzmq sends from its storage.
private final class HandedOverBytes {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

extension Socket {
    /// Sends one frame from the array's own storage, without copying it: libzmq keeps the
    /// array alive until it has sent it (`zmq_msg_init_data`). Worth it for large frames;
    /// for small ones the copy of ``send(_:more:dontWait:)-([UInt8],_,_)`` costs less than
    /// the bookkeeping.
    ///
    /// - Parameters:
    ///   - bytes: The frame's content; it must not change afterwards (an array never does:
    ///     a later change to a copy of it makes a new buffer).
    ///   - more: `true` if more frames of the same message follow.
    ///   - dontWait: `true` to return `false` instead of blocking.
    /// - Returns: `true` when queued; `false` when it would block or the send timed out.
    /// - Throws: ``ZMQError``, as ``send(_:more:dontWait:)-(UnsafeRawBufferPointer,_,_)``.
    @discardableResult
    public func send(handingOver bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws -> Bool {
        guard let handle else { throw ZMQError.closedSocket("zmq_msg_send") }
        let box = Unmanaged.passRetained(HandedOverBytes(bytes))
        // The storage of a native array stays where it is while the array lives, and the
        // box keeps it alive until libzmq releases the message.
        let address = box.takeUnretainedValue().bytes.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
        var message = zmq_msg_t()
        let initialized = zmq_msg_init_data(&message, address, bytes.count, { _, hint in
            if let hint { Unmanaged<AnyObject>.fromOpaque(hint).release() }
        }, box.toOpaque())
        guard initialized == 0 else {
            box.release()
            throw ZMQError(code: zmq_errno(), operation: "zmq_msg_init_data(\(bytes.count) bytes)")
        }
        let flags = Socket.sendFlags(more: more, dontWait: dontWait)
        while zmq_msg_send(&message, handle, flags) < 0 {
            let code = zmq_errno()
            if code == EINTR { continue }
            zmq_msg_close(&message)
            if code == EAGAIN { return false }
            throw ZMQError(code: code, operation: "zmq_msg_send(\(type), \(bytes.count) bytes)")
        }
        return true
    }
}
