import Synchronization

/// One worker process serving a `W` actor: Python's `multiprocessing.Process`, where the
/// target is a closure that calls the actor in the child.
///
/// ```swift
/// let process = try await ActorProcess.start(Greeter.self) { try await $0.run("hello") }
/// let status = await process.join()     // .exited(code: 0)
/// ```
/// Without a target, the process serves calls on ``actor`` until you ``stop(gracePeriod:)`` it.
/// The child is killed when this process dies, even by `kill -9`.
public final class ActorProcess<W: Worker>: Sendable {
    /// A reference to the actor in the child process; call its distributed functions.
    public let actor: W
    let child: ChildProcess
    let peer: PeerAddress
    let node: String
    /// Where the child records the calls it starts.
    let progress: CallProgress?
    private let system: TroupeActorSystem
    private let failure = Mutex<(any Error)?>(nil)

    private init(launched: WorkerLauncher.Launched<W>, system: TroupeActorSystem) {
        self.actor = launched.actor
        self.child = launched.child
        self.peer = launched.peer
        self.node = launched.node
        self.progress = launched.progress
        self.system = system
        let peer = launched.peer
        let node = launched.node
        let pid = launched.child.pid
        launched.child.onExit { status in
            system.routes.remove(for: node)
            system.peerLost(peer, error: TroupeError(.workerCrashed, "worker process \(pid) \(status)",
                                                     context: ["pid": "\(pid)"]))
        }
    }

    /// Starts a process serving `type` and returns once it is ready.
    /// - Parameters:
    ///   - type: the worker type to serve.
    ///   - startTimeout: how long the process may take to say it is ready.
    /// - Returns: the running process.
    /// - Throws: ``TroupeError`` `.workerStartFailed` when it cannot start.
    public static func start(_ type: W.Type = W.self, startTimeout: Duration = .seconds(60)) async throws -> ActorProcess<W> {
        let system = try TroupeActorSystem.local()
        var launcher = WorkerLauncher(system: system)
        launcher.startTimeout = startTimeout
        return ActorProcess(launched: try await launcher.launch(type), system: system)
    }

    /// Starts a process serving `type`, runs `target` against it in the background, and
    /// lets the process exit when `target` returns (code 0) or throws (code 1, and the error
    /// is kept in ``targetError``) — Python's `Process(target=...).start()`.
    /// - Parameters:
    ///   - type: the worker type to serve.
    ///   - target: the work, calling the actor's distributed functions.
    /// - Returns: the running process; ``join(timeout:)`` waits for it to finish.
    /// - Throws: ``TroupeError`` `.workerStartFailed` when it cannot start.
    public static func start(
        _ type: W.Type = W.self,
        target: @escaping @Sendable (W) async throws -> Void
    ) async throws -> ActorProcess<W> {
        let process = try await start(type)
        Task {
            var reason = DisconnectReason.done
            do {
                try await target(process.actor)
            } catch {
                process.failure.withLock { $0 = error }
                reason = DisconnectReason.failed
                if process.isAlive {
                    printError("troupe: the target of process \(process.pid) failed: \(error)")
                }
            }
            process.system.send(.disconnect(reason: reason), to: process.peer)
        }
        return process
    }

    /// The child's process id.
    public var pid: Int32 { child.pid }

    /// Whether the child is still running.
    public var isAlive: Bool { child.isAlive }

    /// How the child ended, or nil while it runs.
    public var exitStatus: ExitStatus? { child.exitStatus }

    /// The error the target threw, if it did.
    public var targetError: (any Error)? { failure.withLock { $0 } }

    /// Waits for the child to exit.
    /// - Parameter timeout: how long to wait at most; nil waits as long as it takes.
    /// - Returns: how the child ended, or nil when `timeout` passed first (it still runs).
    @discardableResult
    public func join(timeout: Duration? = nil) async -> ExitStatus? {
        await child.wait(timeout: timeout)
    }

    /// Sends SIGTERM to the child (Python's `terminate()`).
    public func terminate() {
        child.send(.terminate)
    }

    /// Sends SIGKILL to the child (Python's `kill()`).
    public func kill() {
        child.send(.kill)
    }

    /// Stops the child in order: asks it to leave once its queued calls are done, then
    /// SIGTERM after `gracePeriod`, then SIGKILL after another.
    /// - Parameter gracePeriod: how long each step may take.
    /// - Returns: how the child ended.
    @discardableResult
    public func stop(gracePeriod: Duration = .seconds(5)) async -> ExitStatus {
        if let status = exitStatus { return status }
        let system = self.system
        let peer = self.peer
        await Teardown.run([child], steps: [
            .request({ _ in system.send(.disconnect(reason: DisconnectReason.done), to: peer) }, allowedDurationToNextStep: gracePeriod),
            .send(signal: .terminate, allowedDurationToNextStep: gracePeriod),
        ])
        return await child.wait(timeout: nil) ?? .signaled(signal: ProcessSignal.kill.number)
    }
}
