@_exported import Distributed
import Logging
import TroupePlatform
import CTroupeShims
import Synchronization

/// The entry points of Troupe that are not tied to a pool or a process handle.
public enum Troupe {
    /// The Swift counterpart of Python's `if __name__ == "__main__":` guard.
    ///
    /// Call it first thing in `main`. When the program was started as a worker process, it
    /// serves the requested worker and never returns; in the parent it returns at once, and
    /// the rest of `main` runs as usual:
    /// ```swift
    /// @main struct App {
    ///     static func main() async throws {
    ///         try await Troupe.bootstrap(workers: [Greeter.self])
    ///         let pool = try await Pool<Greeter>(processes: 4)
    ///         ...
    ///     }
    /// }
    /// ```
    /// Whatever `main` does before this call also runs in every worker process: start no
    /// ``Pool``, ``ActorProcess`` or ``Manager`` before it.
    ///
    /// Worker processes are this same program, started again (never `fork`ed). Each worker
    /// is killed when its parent dies, even by `kill -9`. Standard output is made
    /// line-buffered in every process, so that lines from several processes never mix.
    ///
    /// In the parent, Ctrl-C (SIGINT) and SIGTERM then stop every worker process in order
    /// (SIGTERM, a grace period, SIGKILL), remove the run directory and end the program by
    /// the same signal. Pass `handleSignals: false` when something else owns the signals,
    /// such as a swift-service-lifecycle `ServiceGroup` running a `PoolService` (the `TroupeServiceLifecycle` product).
    /// - Parameters:
    ///   - workers: every worker type this program can serve.
    ///   - handleSignals: whether the parent shuts its workers down on SIGINT and SIGTERM.
    ///   - logger: where Troupe logs in this process and in its worker processes (its label
    ///     and handler come from your `LoggingSystem`); by default a logger labelled `troupe`.
    /// - Throws: ``TroupeError`` when a worker process cannot connect to its parent.
    public static func bootstrap(workers: [any Worker.Type], handleSignals: Bool = true, logger: Logger? = nil) async throws {
        if let logger { processLogger.withLock { $0 = logger } }
        // Whole lines from the parent and its workers interleave, even through a pipe.
        troupe_line_buffer_stdout()
        if environmentValue(NodeAgent.probeVariable) != nil {
            // A node agent checking that this program is a Troupe program before it runs it.
            exit(NodeAgent.probeExitCode)
        }
        if let remote = RemoteWorkerEnvironment.fromEnvironment() {
            try await WorkerHost.serveSupervisor(remote, types: workers)
        }
        guard let launch = WorkerEnvironment.fromEnvironment() else {
            if handleSignals { SignalHandling.install() }
            return
        }
        try await WorkerHost.serve(launch, types: workers)
    }

    private static let executableOverride = Mutex<String?>(nil)
    /// The logger given to ``bootstrap(workers:handleSignals:logger:)``, if any.
    static let processLogger = Mutex<Logger?>(nil)

    /// The program started for worker processes. By default it is the running program
    /// itself (or `TROUPE_WORKER_EXECUTABLE` when set).
    ///
    /// Set it when the running binary is not the one to start: under `swift test` the running
    /// binary is the test bundle, so tests point this at an executable target of the package
    /// that calls ``bootstrap(workers:handleSignals:logger:)`` with the same worker types (see
    /// <doc:Testing>).
    public static var workerExecutable: String? {
        get {
            executableOverride.withLock { $0 }
                ?? environmentValue("TROUPE_WORKER_EXECUTABLE")
                ?? currentExecutablePath()
        }
        set { executableOverride.withLock { $0 = newValue } }
    }

    /// The arguments given to a worker process: the parent's own when it re-executes itself,
    /// none when ``workerExecutable`` names another program.
    static var workerArguments: [String] {
        let overridden = executableOverride.withLock { $0 } != nil
            || environmentValue("TROUPE_WORKER_EXECUTABLE") != nil
        return overridden ? [] : Array(CommandLine.arguments.dropFirst())
    }
}
