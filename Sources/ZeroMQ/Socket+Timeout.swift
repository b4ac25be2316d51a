extension Socket {
    /// A time-valued socket option, in libzmq's unit (milliseconds), with `-1` meaning
    /// "infinite" (for ``SocketOption/linger``, ``SocketOption/sendTimeout``,
    /// ``SocketOption/receiveTimeout``) or "never" (for ``SocketOption/reconnectInterval``).
    ///
    /// Spelled like `Duration` at the call site:
    /// `try socket.set(.receiveTimeout, .milliseconds(200))`, `try socket.set(.linger, .zero)`.
    public struct Timeout: Sendable, Hashable, CustomStringConvertible {
        /// The raw value passed to libzmq: milliseconds, or `-1` for ``infinite``.
        public let milliseconds: Int32

        /// Creates a timeout from libzmq's raw value.
        ///
        /// - Parameter milliseconds: Milliseconds; any negative value means ``infinite``.
        public init(milliseconds: Int32) {
            self.milliseconds = milliseconds < 0 ? -1 : milliseconds
        }

        /// Creates a timeout from a `Duration`, rounded up to whole milliseconds and clamped
        /// to `0...Int32.max` ms (a negative duration means "immediately").
        ///
        /// - Parameter duration: The duration.
        public init(_ duration: Duration) {
            let (seconds, attoseconds) = duration.components
            if seconds < 0 || (seconds == 0 && attoseconds <= 0) {
                self.milliseconds = 0
                return
            }
            let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
            let (whole, remainder) = attoseconds.quotientAndRemainder(
                dividingBy: attosecondsPerMillisecond)
            let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            let total = overflow ? Int64.max : millis &+ whole &+ (remainder > 0 ? 1 : 0)
            self.milliseconds = Int32(clamping: total)
        }

        /// No waiting: `0` (e.g. a linger that drops unsent messages at close).
        public static let zero = Timeout(milliseconds: 0)

        /// Wait forever (`-1`). For ``SocketOption/reconnectInterval`` it means "do not
        /// reconnect".
        public static let infinite = Timeout(milliseconds: -1)

        /// A timeout of whole milliseconds.
        ///
        /// - Parameter value: Milliseconds (a negative value means ``infinite``).
        /// - Returns: The timeout.
        public static func milliseconds(_ value: Int32) -> Timeout {
            Timeout(milliseconds: value)
        }

        /// A timeout of whole seconds, clamped to what libzmq can hold (~24.8 days).
        ///
        /// - Parameter value: Seconds (a negative value means ``infinite``).
        /// - Returns: The timeout.
        public static func seconds(_ value: Int32) -> Timeout {
            value < 0 ? .infinite : Timeout(milliseconds: Int32(clamping: Int64(value) * 1000))
        }

        /// Whether this is ``infinite``.
        public var isInfinite: Bool { milliseconds < 0 }

        /// The timeout as a `Duration`, or `nil` when ``infinite``.
        public var duration: Duration? {
            isInfinite ? nil : .milliseconds(milliseconds)
        }

        /// `"250 ms"` or `"infinite"`.
        public var description: String { isInfinite ? "infinite" : "\(milliseconds) ms" }
    }
}
