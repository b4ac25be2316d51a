internal import CZeroMQ

/// The readiness conditions of a socket or file descriptor (`ZMQ_POLLIN`, `ZMQ_POLLOUT`,
/// `ZMQ_POLLERR`, `ZMQ_POLLPRI`).
public struct PollEvents: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The `ZMQ_POLL*` bits.
    public let rawValue: Int16

    /// Creates a set from `ZMQ_POLL*` bits.
    ///
    /// - Parameter rawValue: The bits.
    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    /// A message can be received without blocking (`ZMQ_POLLIN`; `POLLIN` for a file
    /// descriptor).
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking (`ZMQ_POLLOUT`; `POLLOUT` for a file
    /// descriptor).
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// An error condition on a file descriptor (`ZMQ_POLLERR`; never set for sockets).
    public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
    /// Urgent data on a file descriptor (`ZMQ_POLLPRI`; never set for sockets).
    public static let priority = PollEvents(rawValue: Int16(ZMQ_POLLPRI))

    /// E.g. `"[readable, writable]"`.
    public var description: String {
        var names: [String] = []
        if contains(.readable) { names.append("readable") }
        if contains(.writable) { names.append("writable") }
        if contains(.error) { names.append("error") }
        if contains(.priority) { names.append("priority") }
        return "[" + names.joined(separator: ", ") + "]"
    }
}
