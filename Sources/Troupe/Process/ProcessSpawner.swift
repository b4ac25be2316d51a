import TroupePlatform
import CTroupeShims
import Synchronization

/// Starts child processes from one long-lived thread and reaps them when they exit.
///
/// Linux's parent-death signal (`PR_SET_PDEATHSIG`, set by each child for itself) fires when
/// the *thread* that spawned the child exits, not the process: spawning from a thread that
/// lives as long as the process makes the signal mean "the parent process died". The same
/// thread watches every child through a pidfd and reaps it, so a child never stays a zombie
/// and its exit is known at once.
final class ProcessSpawner: Sendable {
    /// The process-wide spawner; its thread starts on first use.
    static let shared = ProcessSpawner()

    private struct Request: Sendable {
        let path: String
        let arguments: [String]
        let environment: [String]
        let completion: @Sendable (Result<ChildProcess, TroupeError>) -> Void
    }

    private let wakeDescriptor: Int32
    private let requests = Mutex<[Request]>([])
    private let live = Mutex<[Int32: ChildProcess]>([:])

    private init() {
        wakeDescriptor = troupe_eventfd()
        precondition(wakeDescriptor >= 0, "eventfd failed: errno \(errno)")
        let descriptor = wakeDescriptor
        OSThread.start(name: "troupe-spawner") { [self] in
            self.run(wakeDescriptor: descriptor)
        }
    }

    /// Starts `path` with `arguments` (argv[1...]) and exactly `environment` ("KEY=value").
    /// - Returns: the started child.
    /// - Throws: ``TroupeError`` with code `.workerStartFailed` when the system refuses.
    func spawn(path: String, arguments: [String], environment: [String]) async throws -> ChildProcess {
        if SignalHandling.isShuttingDown {
            throw TroupeError(.workerStartFailed, "the program is shutting down after a signal; no process is started")
        }
        return try await withCheckedThrowingContinuation { continuation in
            let request = Request(path: path, arguments: arguments, environment: environment) { result in
                continuation.resume(with: result)
            }
            requests.withLock { $0.append(request) }
            var one: UInt64 = 1
            _ = write(wakeDescriptor, &one, 8)
        }
    }

    /// Every child still running.
    var liveChildren: [ChildProcess] {
        live.withLock { Array($0.values) }
    }

    /// Stops every child in order: SIGTERM, up to `gracePeriod` to exit, then SIGKILL; waits
    /// (blocking the calling thread, at most one more second) until they are gone.
    func terminateAll(gracePeriod: Duration) {
        Teardown.runBlocking(liveChildren, steps: Teardown.terminating(gracePeriod: gracePeriod))
    }

    private struct Watched {
        let child: ChildProcess
        let pidDescriptor: Int32
    }

    private func run(wakeDescriptor: Int32) {
        var watched: [Watched] = []
        var pollSet: [pollfd] = []
        while true {
            pollSet.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0))
            var needsPolling = false
            for entry in watched {
                if entry.pidDescriptor >= 0 {
                    pollSet.append(pollfd(fd: entry.pidDescriptor, events: Int16(POLLIN), revents: 0))
                } else {
                    needsPolling = true
                }
            }
            // Without pidfds (old kernels, other systems) fall back to checking every 50 ms.
            let ready = poll(&pollSet, nfds_t(pollSet.count), needsPolling ? 50 : -1)
            if ready < 0 && errno != EINTR { continue }

            if pollSet[0].revents != 0 {
                var count: UInt64 = 0
                _ = read(wakeDescriptor, &count, 8)
                let pending = requests.withLock { requests in
                    defer { requests.removeAll() }
                    return requests
                }
                for request in pending {
                    let result = Self.start(request)
                    if case .success(let entry) = result {
                        watched.append(entry)
                        live.withLock { $0[entry.child.pid] = entry.child }
                        entry.child.onExit { [self] _ in self.live.withLock { _ = $0.removeValue(forKey: entry.child.pid) } }
                    }
                    request.completion(result.map(\.child))
                }
            }

            var index = 1
            watched.removeAll { entry in
                if entry.pidDescriptor >= 0 {
                    defer { index += 1 }
                    guard index < pollSet.count, pollSet[index].revents != 0 else { return false }
                    let reaped = entry.child.reap(blocking: true)
                    if reaped { close(entry.pidDescriptor) }
                    return reaped
                }
                return entry.child.reap(blocking: false)
            }
        }
    }

    private static func start(_ request: Request) -> Result<Watched, TroupeError> {
        var pid: pid_t = 0
        let argv = [request.path] + request.arguments
        let status = withCStringArray(argv) { cArgv in
            withCStringArray(request.environment) { cEnv in
                troupe_spawn(&pid, request.path, cArgv, cEnv)
            }
        }
        guard status == 0 else {
            return .failure(TroupeError(
                .workerStartFailed,
                "could not start \(request.path): \(String(cString: strerror(status)))",
                context: ["executable": request.path]))
        }
        let child = ChildProcess(pid: pid)
        return .success(Watched(child: child, pidDescriptor: troupe_pidfd_open(pid)))
    }
}

/// Calls `body` with a NULL-terminated C array of the strings' UTF-8 copies.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return (copies + [nil]).withUnsafeBufferPointer { buffer in
        body(buffer.baseAddress!)
    }
}
