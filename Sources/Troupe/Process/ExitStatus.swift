import TroupePlatform

/// How a process ended: a normal exit (code 0), an error exit (any other code), or death by
/// a signal.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The process called `exit` (or returned from `main`) with this code.
    case exited(code: Int32)
    /// The process was ended by this signal (`SIGKILL` is 9, `SIGTERM` 15, `SIGSEGV` 11).
    case signaled(signal: Int32)

    /// Whether the process exited normally with code 0.
    public var isSuccess: Bool { self == .exited(code: 0) }

    /// The exit code, when the process exited rather than being killed by a signal.
    public var exitCode: Int32? {
        if case .exited(let code) = self { return code }
        return nil
    }

    /// The signal that ended the process, when a signal ended it.
    public var terminatingSignal: Int32? {
        if case .signaled(let signal) = self { return signal }
        return nil
    }

    /// Decodes a `waitpid` status word.
    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited(code: (status >> 8) & 0xff)
        } else {
            self = .signaled(signal: signal)
        }
    }

    /// How the process ended, in words: `exited with code 1`, `killed by signal 9 (SIGKILL)`.
    public var description: String {
        switch self {
        case .exited(let code):
            return "exited with code \(code)"
        case .signaled(let signal):
            return "killed by signal \(signal) (\(ExitStatus.signalName(signal)))"
        }
    }

    /// The conventional name of a signal number, such as `SIGKILL`.
    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: return "SIGHUP"
        case SIGINT: return "SIGINT"
        case SIGQUIT: return "SIGQUIT"
        case SIGILL: return "SIGILL"
        case SIGTRAP: return "SIGTRAP"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGPIPE: return "SIGPIPE"
        case SIGALRM: return "SIGALRM"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}
