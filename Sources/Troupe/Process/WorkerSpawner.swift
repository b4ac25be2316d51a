/// How an actor system starts the worker a parent asks for: by default a process running
/// this program again; in tests, an in-process worker over an in-memory transport.
@_spi(Testing)
public protocol WorkerSpawner: Sendable {
    /// Starts a worker for `launch` (which names the parent's endpoint, the worker's node,
    /// the type to serve and its call-progress page); it says READY to the parent by itself.
    /// - Returns: the handle through which the parent signals it and learns of its exit.
    func spawn(_ launch: WorkerEnvironment) async throws -> ChildProcess
}

/// Starts workers as processes: this program, or ``Troupe/workerExecutable``, started again.
struct ProcessWorkerSpawner: WorkerSpawner {
    func spawn(_ launch: WorkerEnvironment) async throws -> ChildProcess {
        guard let executable = Troupe.workerExecutable else {
            throw TroupeError(.workerStartFailed, "cannot tell which program to start: set Troupe.workerExecutable")
        }
        do {
            return try await ProcessSpawner.shared.spawn(
                path: executable, arguments: Troupe.workerArguments,
                environment: launch.environment(inheriting: currentEnvironment()))
        } catch let error as TroupeError {
            throw TroupeError(.workerStartFailed, error.message + " (the program started for workers is this one, or Troupe.workerExecutable / TROUPE_WORKER_EXECUTABLE)",
                              context: error.context)
        }
    }
}
