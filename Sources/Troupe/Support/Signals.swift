import TroupePlatform
import CTroupeShims

/// Signal numbers, named once so that callers need not import the C library.
let SIGKILL_VALUE: Int32 = SIGKILL
let SIGTERM_VALUE: Int32 = SIGTERM

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
    troupe_write_stderr(message + "\n")
}

/// The text of the current `errno`, as `strerror` gives it.
func systemErrorText() -> String {
    String(cString: strerror(errno))
}
