import TroupePlatform
import CTroupeShims

/// A signal Troupe sends to the processes it started, so that callers need not import the
/// C library nor pass bare numbers.
enum ProcessSignal: Sendable, Hashable, CustomStringConvertible {
    /// SIGKILL: the process ends at once.
    case kill
    /// SIGTERM: the process is asked to leave.
    case terminate

    /// The signal's number on this platform.
    var number: Int32 {
        switch self {
        case .kill: SIGKILL
        case .terminate: SIGTERM
        }
    }

    var description: String {
        switch self {
        case .kill: "SIGKILL"
        case .terminate: "SIGTERM"
        }
    }
}

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
    troupe_write_stderr(message + "\n")
}

/// The text of the current `errno`, as `strerror` gives it.
func systemErrorText() -> String {
    String(cString: strerror(errno))
}
