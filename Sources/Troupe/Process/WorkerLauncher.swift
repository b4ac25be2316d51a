import TroupePlatform
import Synchronization
import TroupeWire

/// Starts one worker process for a worker type and returns once it has said it is ready.
struct WorkerLauncher: Sendable {
    /// A started, ready worker process, its actor's type erased.
    struct Started: Sendable {
        /// The worker process.
        let child: ChildProcess
        /// Where its messages go.
        let peer: PeerAddress
        /// The identity of the actor it serves.
        let actorID: TroupeActorID
        /// Its node name.
        let node: String
        /// Where it records the calls it starts.
        let progress: CallProgress?

        var actorNumber: UInt64 { actorID.number }
    }

    /// A started, ready worker process.
    struct Launched<W: Worker>: Sendable {
        /// The worker process.
        let child: ChildProcess
        /// Where its messages go.
        let peer: PeerAddress
        /// A reference to the worker actor it serves.
        let actor: W
        /// Its node name.
        let node: String
        /// Where it records the calls it starts.
        let progress: CallProgress?
    }

    private static let lastWorkerNumber = Atomic<UInt64>(0)

    /// Ends a process that was started as a worker but is starting workers of its own before
    /// it called `Troupe.bootstrap(workers:)`: left alone, each copy would start more copies.
    static func refuseWithoutBootstrap() {
        guard let launch = WorkerEnvironment.fromEnvironment() else {
            if let remote = RemoteWorkerEnvironment.fromEnvironment() {
                printError("troupe: this process was started as a worker for the supervisor at \(remote.endpoint), "
                           + "but it started work before calling Troupe.bootstrap(workers:): call it first thing in main")
                exit(WorkerHost.notBootstrappedExitCode)
            }
            return
        }
        printError("troupe: this process was started as a worker for \(launch.typeName), but it reached Pool, "
                   + "ActorProcess or Manager before calling Troupe.bootstrap(workers:): call it first thing in main")
        exit(WorkerHost.notBootstrappedExitCode)
    }

    /// Whether `executable` is a test bundle (`swift test`'s runner), which serves no worker.
    static func isTestBundle(_ executable: String) -> Bool {
        executable.hasSuffix(".xctest") || executable.hasSuffix("PackageTests") || executable.contains(".xctest/")
    }

    let system: TroupeActorSystem
    /// How long a worker may take to say it is ready.
    var startTimeout: Duration = .seconds(60)

    /// Starts a worker process serving `type`.
    /// - Throws: ``TroupeError`` `.workerStartFailed` when the process cannot start, exits
    ///   before it is ready, or is not ready in time.
    func launch<W: Worker>(_ type: W.Type) async throws -> Launched<W> {
        Self.refuseWithoutBootstrap()
        guard let parentEndpoint = system.endpoint else {
            throw TroupeError(.invalidState, "this process's actor system accepts no connections, so it cannot start workers")
        }
        let executable = Troupe.workerExecutable ?? "this program"
        let number = Self.lastWorkerNumber.add(1, ordering: .relaxed).newValue
        let node = "\(system.node).w\(number)"
        let progress = try CallProgress.create(at: RunDirectory.shared().path + "/progress-\(number)")
        let launch = WorkerEnvironment(endpoint: parentEndpoint, node: node, typeName: W.workerTypeName,
                                  parentPID: currentProcessID(), parentNode: system.node, progressPath: progress.path)
        // Expected before it is spawned, so a READY or an exit that comes before the wait
        // below is kept for it.
        system.arrivals.expect(node)
        let child: ChildProcess
        do {
            child = try await system.spawner.spawn(launch)
        } catch {
            system.arrivals.forget(node)
            throw error
        }

        let system = self.system
        let testBundleHint = Self.isTestBundle(executable)
            ? "; \(executable) is a test bundle: point Troupe.workerExecutable (or TROUPE_WORKER_EXECUTABLE) at an executable that bootstraps your workers, as the Testing article shows"
            : ""
        child.onExit { status in
            var hint = ""
            if status == .exited(code: WorkerHost.unknownTypeExitCode) {
                hint = ": \(executable) does not serve \(W.workerTypeName) (see its stderr): list \(W.workerTypeName).self in its Troupe.bootstrap(workers:), called first thing in main"
            } else if status == .exited(code: WorkerHost.notBootstrappedExitCode) {
                hint = ": \(executable) reached Pool, ActorProcess or Manager without calling Troupe.bootstrap(workers:) first (see its stderr): call it first thing in main, listing \(W.workerTypeName).self"
            } else {
                hint = ": does \(executable) call Troupe.bootstrap(workers:) with \(W.workerTypeName).self first thing in main? "
                    + "(the program started for workers is the running one, or Troupe.workerExecutable / TROUPE_WORKER_EXECUTABLE; see its stderr)"
            }
            hint += testBundleHint
            system.arrivals.abandon(node: node, error: TroupeError(
                .workerStartFailed,
                "worker process \(child.pid) for \(W.workerTypeName) \(status) before it was ready\(hint)",
                context: ["pid": "\(child.pid)", "executable": executable]))
        }

        let timeout = startTimeout
        let timer = Task {
            try await Task.sleep(for: timeout)
            child.send(.kill)
            system.arrivals.abandon(node: node, error: TroupeError(
                .workerStartFailed,
                "worker process \(child.pid) for \(W.workerTypeName) was not ready within \(timeout); it was killed",
                context: ["pid": "\(child.pid)", "executable": executable]))
        }
        defer { timer.cancel() }

        let arrival: ReadyWaiters.Arrival
        do {
            arrival = try await withTaskCancellationHandler {
                try await system.arrivals.wait(for: node)
            } onCancel: {
                child.send(.kill)
                system.arrivals.abandon(node: node, error: TroupeError(.cancelled, "the worker start was cancelled"))
            }
        } catch {
            child.send(.kill)
            throw error
        }
        system.routes.set(arrival.peer, for: node)
        let actor = try W.resolve(id: TroupeActorID(node: node, number: arrival.ready.actor), using: system)
        return Launched(child: child, peer: arrival.peer, actor: actor, node: node, progress: progress)
    }

    /// Starts a worker process serving `type`, and gives it back with its type erased.
    func start<W: Worker>(_ type: W.Type) async throws -> Started {
        let launched = try await launch(type)
        return Started(child: launched.child, peer: launched.peer, actorID: launched.actor.id, node: launched.node,
                       progress: launched.progress)
    }
}
