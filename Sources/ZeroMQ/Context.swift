internal import TroupePlatform
internal import CZeroMQ

/// A libzmq context: the I/O threads and the `inproc://` namespace shared by its sockets.
///
/// A context is `Sendable`: libzmq documents contexts as thread-safe, and this class keeps no
/// mutable state of its own (the handle never changes after `init`), hence `@unchecked`.
///
/// Lifetime: every ``Socket`` keeps its context alive, so the context is terminated
/// (`zmq_ctx_term`) only after the last of its sockets was closed and released. Termination
/// then waits for each closed socket's ``SocketOption/linger`` to expire; with a linger of
/// zero (or `blocky: false`, which makes zero the default for new sockets) it cannot block.
/// With libzmq's default linger (infinite), unsent messages to an absent peer keep the
/// terminating thread waiting — set ``SocketOption/linger`` deliberately.
public final class Context: @unchecked Sendable {
    /// The `void *` returned by `zmq_ctx_new`; immutable for the context's whole life.
    let handle: UnsafeMutableRawPointer

    /// A context option (`zmq_ctx_set` / `zmq_ctx_get`), all of them integers.
    public struct Option: Sendable, Hashable, CustomStringConvertible {
        /// The `ZMQ_*` option number.
        public let code: Int32
        /// A readable name, for errors and logs.
        public let name: String
        /// Whether the option can only be read (``set(_:_:)`` refuses it).
        public let isReadOnly: Bool

        /// Creates an option.
        ///
        /// - Parameters:
        ///   - code: The `ZMQ_*` number.
        ///   - name: A readable name.
        ///   - isReadOnly: `true` for an option that `zmq_ctx_set` must not be called with.
        init(code: Int32, name: String, isReadOnly: Bool = false) {
            self.code = code
            self.name = name
            self.isReadOnly = isReadOnly
        }

        /// The number of I/O threads (`ZMQ_IO_THREADS`); set before creating sockets.
        public static let ioThreads = Option(code: ZMQ_IO_THREADS, name: "ioThreads")
        /// The maximum number of sockets (`ZMQ_MAX_SOCKETS`, default 1023); set before
        /// creating sockets.
        public static let maxSockets = Option(code: ZMQ_MAX_SOCKETS, name: "maxSockets")
        /// The largest value ``maxSockets`` accepts here (`ZMQ_SOCKET_LIMIT`); read-only
        /// (libzmq reuses its number for another option when setting).
        public static let socketLimit = Option(code: ZMQ_SOCKET_LIMIT, name: "socketLimit", isReadOnly: true)
        /// The largest message size the context will handle (`ZMQ_MAX_MSGSZ`).
        public static let maxMessageSize = Option(code: ZMQ_MAX_MSGSZ, name: "maxMessageSize")
        /// 1 to make new sockets use IPv6 by default (`ZMQ_IPV6`).
        public static let ipv6 = Option(code: ZMQ_IPV6, name: "ipv6")
        /// 0 to give new sockets a linger of zero, so termination never blocks (`ZMQ_BLOCKY`).
        public static let blocky = Option(code: ZMQ_BLOCKY, name: "blocky")

        /// The option's name.
        public var description: String { name }
    }

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - ioThreads: The number of libzmq I/O threads (1 is right for most processes;
    ///     `inproc://` traffic uses none).
    ///   - maxSockets: The maximum number of sockets, or `nil` for libzmq's default (1023).
    ///   - blocky: `false` gives every new socket a linger of zero, so that terminating the
    ///     context never waits for unsent messages. `true` keeps libzmq's default (infinite
    ///     linger).
    /// - Throws: ``ZMQError`` if the context cannot be created (e.g. too many open files)
    ///   or an option is out of range.
    public init(ioThreads: Int32 = 1, maxSockets: Int32? = nil, blocky: Bool = true) throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        var settings: [(Option, Int32)] = []
        if ioThreads != 1 { settings.append((.ioThreads, ioThreads)) }
        if let maxSockets { settings.append((.maxSockets, maxSockets)) }
        if !blocky { settings.append((.blocky, 0)) }
        for (option, value) in settings where zmq_ctx_set(handle, option.code, value) != 0 {
            let error = ZMQError.last("zmq_ctx_set(\(option.name), \(value))")
            Context.terminate(handle)
            throw error
        }
    }

    deinit {
        Context.terminate(handle)
    }

    /// `zmq_ctx_term`, retried when a signal interrupts it.
    ///
    /// - Parameter handle: The context to terminate.
    private static func terminate(_ handle: UnsafeMutableRawPointer) {
        while zmq_ctx_term(handle) != 0 {
            if zmq_errno() != EINTR { return }
        }
    }

    /// Shuts the context down (`zmq_ctx_shutdown`): every blocking call on its sockets, on
    /// any thread, returns at once with ``ZMQError/isTerminated``, and later calls fail the
    /// same way. The owners of the sockets should then close them. Safe to call from any
    /// thread, and more than once.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Sets a context option.
    ///
    /// - Parameters:
    ///   - option: The option, e.g. ``Option/maxSockets``.
    ///   - value: Its new value.
    /// - Throws: ``ZMQError`` (`EINVAL`) for a read-only option, or if libzmq rejects the
    ///   option or the value.
    public func set(_ option: Option, _ value: Int32) throws {
        if option.isReadOnly {
            throw ZMQError.invalidArgument(
                "zmq_ctx_set(\(option.name), \(value))", "\(option.name) can only be read")
        }
        if zmq_ctx_set(handle, option.code, value) != 0 {
            throw ZMQError.last("zmq_ctx_set(\(option.name), \(value))")
        }
    }

    /// Reads a context option.
    ///
    /// - Parameter option: The option, e.g. ``Option/socketLimit``.
    /// - Returns: Its current value.
    /// - Throws: ``ZMQError`` (`EINVAL`) if libzmq does not know the option.
    public func get(_ option: Option) throws -> Int32 {
        let value = zmq_ctx_get(handle, option.code)
        if value < 0 { throw ZMQError.last("zmq_ctx_get(\(option.name))") }
        return value
    }
}
