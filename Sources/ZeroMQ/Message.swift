internal import CZeroMQ

/// One frame of a ZeroMQ message, owning a `zmq_msg_t`.
///
/// A received message's bytes live inside libzmq's buffer: read them in place with
/// ``withUnsafeBytes(_:)``, or copy them out with ``bytes``. The `zmq_msg_t` is closed when
/// the `Message` is released, on every path, so a frame is never leaked.
///
/// A `Message` can be reused: ``Socket/receive(into:dontWait:)->Bool`` replaces its content,
/// and ``Socket/send(_:more:dontWait:)-(Message,_,_)`` hands its content to libzmq and
/// leaves it empty. Like ``Socket`` it is not `Sendable`; pass it on with `sending`.
public final class Message {
    /// The `zmq_msg_t`, at a stable address for the message's whole life.
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// Creates an empty message (`zmq_msg_init`), e.g. to reuse with
    /// ``Socket/receive(into:dontWait:)->Bool``.
    public init() {
        pointer = .allocate(capacity: 1)
        _ = zmq_msg_init(pointer)  // Cannot fail.
    }

    /// Creates a message holding a copy of some bytes (`zmq_msg_init_size`). Messages of
    /// up to 33 bytes are stored inline in the `zmq_msg_t`, without an allocation.
    ///
    /// - Parameter bytes: The content.
    /// - Throws: ``ZMQError`` (`ENOMEM`) if libzmq cannot allocate the buffer.
    public convenience init(copying bytes: UnsafeRawBufferPointer) throws {
        self.init(adopting: try Message.makeCopy(of: bytes))
    }

    /// Creates a message holding a copy of an array of bytes.
    ///
    /// - Parameter bytes: The content.
    /// - Throws: ``ZMQError`` (`ENOMEM`) if libzmq cannot allocate the buffer.
    public convenience init(_ bytes: [UInt8]) throws {
        self.init(adopting: try bytes.withUnsafeBytes { try Message.makeCopy(of: $0) })
    }

    /// Creates a message holding a copy of a slice of bytes.
    ///
    /// - Parameter bytes: The content.
    /// - Throws: ``ZMQError`` (`ENOMEM`) if libzmq cannot allocate the buffer.
    public convenience init(_ bytes: ArraySlice<UInt8>) throws {
        self.init(adopting: try bytes.withUnsafeBytes { try Message.makeCopy(of: $0) })
    }

    /// Creates a message holding the UTF-8 bytes of a string.
    ///
    /// - Parameter string: The content.
    /// - Throws: ``ZMQError`` (`ENOMEM`) if libzmq cannot allocate the buffer.
    public convenience init(_ string: String) throws {
        var string = string
        self.init(adopting: try string.withUTF8 { try Message.makeCopy(of: UnsafeRawBufferPointer($0)) })
    }

    /// Takes over an initialised `zmq_msg_t`.
    ///
    /// - Parameter pointer: A message made by ``makeCopy(of:)`` or `zmq_msg_init*`.
    private init(adopting pointer: UnsafeMutablePointer<zmq_msg_t>) {
        self.pointer = pointer
    }

    /// Allocates and initialises a `zmq_msg_t` holding a copy of `bytes`. Nothing is left
    /// allocated when it throws.
    ///
    /// - Parameter bytes: The content.
    /// - Returns: The initialised message, owned by the caller.
    /// - Throws: ``ZMQError`` (`ENOMEM`).
    private static func makeCopy(of bytes: UnsafeRawBufferPointer) throws -> UnsafeMutablePointer<zmq_msg_t> {
        let pointer = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        guard zmq_msg_init_size(pointer, bytes.count) == 0 else {
            let error = ZMQError.last("zmq_msg_init_size(\(bytes.count))")
            pointer.deallocate()
            throw error
        }
        if let source = bytes.baseAddress, bytes.count > 0, let destination = zmq_msg_data(pointer) {
            destination.copyMemory(from: source, byteCount: bytes.count)
        }
        return pointer
    }

    /// Creates a message that takes ownership of an array's storage instead of copying it
    /// (`zmq_msg_init_data`): the array's buffer is retained until libzmq has sent the
    /// frame and calls back to release it, possibly on one of its I/O threads.
    ///
    /// This saves a copy for large frames (a few KiB and up). For small frames it is
    /// slower than ``init(copying:)`` — libzmq stores up to 33 bytes inline and otherwise
    /// needs one allocation either way, while this path adds a retained box and a second
    /// allocation — so ``Socket/send(taking:more:dontWait:)`` copies below
    /// ``zeroCopyThreshold``.
    ///
    /// - Parameter bytes: The content; the array itself is left untouched (it is shared,
    ///   copy-on-write, never mutated).
    /// - Throws: ``ZMQError`` (`ENOMEM`) if libzmq cannot allocate its bookkeeping.
    public init(taking bytes: [UInt8]) throws {
        let pointer = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        let box = ByteBox(ContiguousArray(bytes))
        // The buffer of a ContiguousArray held by an immutable box is never moved or
        // mutated while the box is alive, so its address stays valid until libzmq
        // releases the box.
        let data = box.bytes.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
        let count = box.bytes.count
        guard count > 0, let data else {
            _ = zmq_msg_init(pointer)
            self.pointer = pointer
            return
        }
        let hint = Unmanaged.passRetained(box).toOpaque()
        let status = zmq_msg_init_data(
            pointer, data, count,
            { _, hint in
                if let hint { Unmanaged<ByteBox>.fromOpaque(hint).release() }
            }, hint)
        guard status == 0 else {
            // libzmq does not call the free function when initialisation fails.
            let error = ZMQError.last("zmq_msg_init_data(\(count))")
            Unmanaged<ByteBox>.fromOpaque(hint).release()
            pointer.deallocate()
            throw error
        }
        self.pointer = pointer
    }

    deinit {
        _ = zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The frame size from which ``Socket/send(taking:more:dontWait:)`` hands the array to
    /// libzmq instead of copying it. Measured here (Linux, libzmq 4.3.4, PUSH→PULL over
    /// ipc, release build): copying is faster at 16 B (~1.8 M vs 1.4 M msg/s) and 200 B
    /// (~1.27 M vs 1.17 M msg/s); zero-copy is ahead from about 4 KiB and ~15–25 % faster
    /// at 64 KiB (~24 k vs 20 k msg/s). Building the message alone costs ~60–70 ns copied
    /// vs ~87 ns taken below 1 KiB, and ~1.3 µs vs ~85 ns at 64 KiB.
    public static let zeroCopyThreshold = 4 * 1024

    /// The number of bytes in the frame.
    public var count: Int { zmq_msg_size(pointer) }

    /// Whether this frame is `0` bytes long.
    public var isEmpty: Bool { count == 0 }

    /// Whether more frames of the same message follow this received frame.
    public var more: Bool { zmq_msg_more(pointer) != 0 }

    /// Calls `body` with the frame's bytes, in place.
    ///
    /// - Parameter body: Reads the bytes; the buffer is valid only during the call.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer)))
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// The frame decoded as UTF-8 (invalid sequences become U+FFFD).
    public var string: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// A metadata property of a received message (`zmq_msg_gets`): `"Socket-Type"`,
    /// `"Routing-Id"`, `"Peer-Address"`, `"User-Id"` (set by a ZAP handler) or a custom
    /// ZAP metadata name.
    ///
    /// - Parameter name: The property name (case-sensitive).
    /// - Returns: Its value, or `nil` when the message has no such property.
    public func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(pointer, name) else { return nil }
        return String(cString: value)
    }
}

/// The owner of an array whose buffer libzmq is sending without a copy.
private final class ByteBox {
    let bytes: ContiguousArray<UInt8>

    init(_ bytes: ContiguousArray<UInt8>) {
        self.bytes = bytes
    }
}
