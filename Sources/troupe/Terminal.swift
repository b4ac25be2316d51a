import TroupePlatform
import CTroupeShims
import Dispatch

/// Writes a line to standard error.
func printToStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = write(2, bytes, bytes.count)
}

/// Whether a file descriptor is a terminal.
func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

/// Runs a handler once on SIGINT or SIGTERM (the supervisor's orderly stop); a second signal
/// ends the process at once.
enum StopOnSignal {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install(_ handler: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            nonisolated(unsafe) var fired = false
            source.setEventHandler {
                if fired { exit(130) }
                fired = true
                handler()
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// The path of `program`: as given when it holds a slash, else found on `PATH`.
func resolveProgram(_ program: String) -> String {
    if program.contains("/") { return program }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(program)"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return program
}

/// Makes standard output line-buffered.
func lineBufferStandardOutput() {
    troupe_line_buffer_stdout()
}
