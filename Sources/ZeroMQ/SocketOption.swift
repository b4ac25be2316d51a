internal import TroupePlatform
internal import CZeroMQ

/// A typed socket option: its libzmq number, and how its `Value` is passed to
/// `zmq_setsockopt` / read from `zmq_getsockopt`.
///
/// Use the static members with ``Socket/set(_:_:)`` and ``Socket/get(_:)``:
/// ```swift
/// try socket.set(.linger, .zero)
/// try socket.set(.routerMandatory, true)
/// try socket.set(.maxMessageSize, 1 << 20)
/// let hwm = try socket.get(.sendHighWaterMark)
/// ```
/// Some options are write-only in libzmq (noted on each); reading one throws `EINVAL`.
public struct SocketOption<Value>: Sendable, CustomStringConvertible {
    /// A readable name, used in errors (`zmq_setsockopt(linger)`).
    public let name: String

    /// The libzmq option number (`ZMQ_LINGER`…).
    public let code: Int32

    /// Calls `zmq_setsockopt`; returns its result code.
    let write: @Sendable (_ socket: UnsafeMutableRawPointer, _ code: Int32, _ value: Value) -> Int32

    /// Calls `zmq_getsockopt` and decodes the value; `operation` names the call in errors.
    let read: @Sendable (_ socket: UnsafeMutableRawPointer, _ code: Int32, _ operation: String) throws(ZMQError) -> Value

    /// The option's name.
    public var description: String { name }

    /// An option stored by libzmq as a fixed-width integer.
    ///
    /// - Parameters:
    ///   - code: The `ZMQ_*` number.
    ///   - name: The readable name.
    ///   - raw: The C type libzmq uses (`Int32` for `int`, `Int64` for `int64_t`).
    ///   - encode: Value to raw.
    ///   - decode: Raw to value.
    /// - Returns: The option.
    static func integer<Raw: FixedWidthInteger & Sendable>(
        _ code: Int32, _ name: String, as raw: Raw.Type,
        encode: @escaping @Sendable (Value) -> Raw,
        decode: @escaping @Sendable (Raw) -> Value
    ) -> SocketOption {
        SocketOption(
            name: name, code: code,
            write: { socket, code, value in
                var rawValue = encode(value)
                return zmq_setsockopt(socket, code, &rawValue, MemoryLayout<Raw>.size)
            },
            read: { (socket, code, operation) throws(ZMQError) in
                var rawValue = Raw.zero
                var size = MemoryLayout<Raw>.size
                guard zmq_getsockopt(socket, code, &rawValue, &size) == 0 else {
                    throw ZMQError.last(operation)
                }
                return decode(rawValue)
            })
    }

    /// An option stored by libzmq as a byte string (binary, not NUL-terminated).
    ///
    /// - Parameters:
    ///   - code: The `ZMQ_*` number.
    ///   - name: The readable name.
    ///   - capacity: The largest value libzmq can return for it.
    ///   - encode: Calls its second argument with the value's bytes.
    ///   - decode: Makes a value from the bytes libzmq returned.
    /// - Returns: The option.
    static func buffer(
        _ code: Int32, _ name: String, capacity: Int,
        encode: @escaping @Sendable (Value, (UnsafeRawBufferPointer) -> Int32) -> Int32,
        decode: @escaping @Sendable (UnsafeRawBufferPointer) -> Value?
    ) -> SocketOption {
        SocketOption(
            name: name, code: code,
            write: { socket, code, value in
                encode(value) { bytes in zmq_setsockopt(socket, code, bytes.baseAddress, bytes.count) }
            },
            read: { (socket, code, operation) throws(ZMQError) in
                let result: Result<Value, ZMQError> =
                    withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
                        var size = buffer.count
                        guard zmq_getsockopt(socket, code, buffer.baseAddress, &size) == 0 else {
                            return .failure(ZMQError.last(operation))
                        }
                        let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<min(size, buffer.count)])
                        guard let value = decode(bytes) else {
                            return .failure(ZMQError(
                                code: EPROTO, operation: operation,
                                message: "libzmq returned a value of unexpected size \(bytes.count)"))
                        }
                        return .success(value)
                    }
                return try result.get()
            })
    }
}

extension SocketOption where Value == Int32 {
    /// An `int` option.
    static func int32(_ code: Int32, _ name: String) -> SocketOption {
        .integer(code, name, as: Int32.self, encode: { $0 }, decode: { $0 })
    }
}

extension SocketOption where Value == Int64 {
    /// An `int64_t` option.
    static func int64(_ code: Int32, _ name: String) -> SocketOption {
        .integer(code, name, as: Int64.self, encode: { $0 }, decode: { $0 })
    }
}

extension SocketOption where Value == Bool {
    /// An `int` option used as a boolean (0 / 1).
    static func bool(_ code: Int32, _ name: String) -> SocketOption {
        .integer(code, name, as: Int32.self, encode: { $0 ? 1 : 0 }, decode: { $0 != 0 })
    }
}

extension SocketOption where Value == Socket.Timeout {
    /// An `int` option in milliseconds, `-1` for infinite.
    static func timeout(_ code: Int32, _ name: String) -> SocketOption {
        .integer(
            code, name, as: Int32.self, encode: { $0.milliseconds },
            decode: { Socket.Timeout(milliseconds: $0) })
    }
}

extension SocketOption where Value == [UInt8] {
    /// A binary option (routing ids, subscriptions).
    static func bytes(_ code: Int32, _ name: String, capacity: Int = 256) -> SocketOption {
        .buffer(
            code, name, capacity: capacity,
            encode: { value, body in value.withUnsafeBytes(body) },
            decode: { Array($0) })
    }
}

extension SocketOption where Value == String {
    /// A character-string option; libzmq returns it NUL-terminated.
    static func string(_ code: Int32, _ name: String, capacity: Int = 256) -> SocketOption {
        .buffer(
            code, name, capacity: capacity,
            encode: { value, body in
                var value = value
                return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
            },
            decode: { bytes in
                let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
                return String(decoding: bytes[..<end], as: UTF8.self)
            })
    }
}

extension SocketOption where Value == CurveKey {
    /// A CURVE key option, passed and read as its 32 raw bytes.
    static func curveKey(_ code: Int32, _ name: String) -> SocketOption {
        .buffer(
            code, name, capacity: CurveKey.byteCount,
            encode: { key, body in key.bytes.withUnsafeBytes(body) },
            decode: { try? CurveKey(bytes: Array($0)) })
    }
}
