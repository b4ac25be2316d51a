import TroupePlatform
import CTroupeShims
import Dispatch
import Synchronization

/// Orderly shutdown of a parent process on SIGINT (Ctrl-C) or SIGTERM: every child is
/// stopped (SIGTERM, a grace period, then SIGKILL), the run directory is removed, and the
/// process then ends by the same signal, so its exit status tells its own parent why.
/// A second signal during the grace period kills the children at once.
enum SignalHandling {
    private struct Installed: @unchecked Sendable {
        // Dispatch sources are thread-safe; they only need to be kept alive.
        let sources: [any DispatchSourceSignal]
    }

    private static let installed = Mutex<Installed?>(nil)
    private static let shuttingDown = Atomic<Bool>(false)

    /// Whether the process is shutting down after a signal: no worker is replaced or started.
    static var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    /// How long children get to exit after SIGTERM.
    static let gracePeriod: Duration = .seconds(2)

    /// Installs the handlers (once).
    static func install() {
        installed.withLock { installed in
            guard installed == nil else { return }
            let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { shutDown(after: number) }
                source.resume()
                return source
            }
            installed = Installed(sources: sources)
        }
    }

    private static func shutDown(after number: Int32) {
        if shuttingDown.exchange(true, ordering: .acquiringAndReleasing) {
            // Asked twice: no more waiting.
            for child in ProcessSpawner.shared.liveChildren { child.send(.kill) }
            return
        }
        printError("troupe: \(ExitStatus.signalName(number)) received: stopping \(ProcessSpawner.shared.liveChildren.count) worker process(es)")
        ProcessSpawner.shared.terminateAll(gracePeriod: gracePeriod)
        RunDirectory.removeAtExit()
        troupe_die_by_signal(number)
    }
}
