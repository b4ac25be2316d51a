/// When a supervised actor's process is restarted after it exits (Erlang/OTP child specs).
public enum RestartPolicy: String, Sendable, Codable {
    /// Always restarted, whatever the exit.
    case permanent
    /// Restarted only after an abnormal exit (an error code or a signal).
    case transient
    /// Never restarted.
    case temporary

    /// Whether a child that ended with `status` should be restarted.
    func restarts(after status: ExitStatus) -> Bool {
        switch self {
        case .permanent: return true
        case .transient: return !status.isSuccess
        case .temporary: return false
        }
    }
}
