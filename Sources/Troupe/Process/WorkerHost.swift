import TroupePlatform
import CTroupeShims
import TroupeWire

/// The worker side of a worker process: connects to the parent, says it is ready, serves
/// calls one at a time, and exits when told to leave or when the parent dies.
@_spi(Testing)
public enum WorkerHost {
    /// Exit code when the program does not list the worker type it was started for.
    static let unknownTypeExitCode: Int32 = 78
    /// Exit code when the program reached Troupe's API before calling `Troupe.bootstrap`.
    static let notBootstrappedExitCode: Int32 = 79
    /// Exit code when the parent was gone before the worker could start.
    static let orphanExitCode: Int32 = 70
    /// Exit code when the supervisor stayed silent for too long (the node agent restarts it).
    static let supervisorLostExitCode: Int32 = 75

    /// What every worker process does first: tie its life to its parent's, leave Ctrl-C to
    /// the parent, make output line-buffered, and hide the launch variables from its own
    /// children.
    private static func prepareProcess(parent: Int32?, launchVariables: [String]) {
        if let parent, !ParentLifeline.bind(toParent: parent) {
            exit(orphanExitCode)
        }
        // Ctrl-C reaches the whole foreground process group: the parent handles it, once.
        signal(SIGINT, SIG_IGN)
        // Whole lines from several processes interleave; a killed worker loses no printed line.
        troupe_line_buffer_stdout()
        for variable in launchVariables { unsetenv(variable) }
    }

    static func serve(_ launch: WorkerEnvironment, types: [any Worker.Type]) async throws -> Never {
        prepareProcess(parent: launch.parentPID, launchVariables: WorkerEnvironment.allVariables)

        let servable: [any Worker.Type] = types + [StateOwner.self]
        guard let type = servable.first(where: { String(reflecting: $0) == launch.typeName }) else {
            let known = servable.map { String(reflecting: $0) }.joined(separator: ", ")
            let message = "troupe: this process was started to serve \(launch.typeName), but "
                + "Troupe.bootstrap(workers:) lists only [\(known)]: add \(launch.typeName).self to that list"
            printError(message)
            exit(unknownTypeExitCode)
        }

        // A shared-state owner accepts connections from the workers; a worker only connects.
        let isOwner = String(reflecting: type) == StateOwner.workerTypeName
        let progress = launch.progressPath.flatMap { CallProgress.attach(path: $0) }
        let system = try TroupeActorSystem(node: launch.node, bind: isOwner ? RunDirectory.shared().endpoint("owner") : nil,
                                           progress: progress)
        if let parent = launch.parentPID { system.watchParent(parent) }
        // A tracer that exports in batches may lose the spans of a worker's last moments:
        // the process ends through exit(), and the tracing API's flush is deprecated.
        let actor = host(launch, type: type, in: system, pid: Int64(getpid())) { code in exit(code) }
        // The actor must live as long as the process; the process ends through exit().
        while true {
            try? await Task.sleep(for: .seconds(3600))
            withExtendedLifetime(actor) {}
        }
    }

    /// Serves `type` in `system` for the parent that `launch` names: connects, runs calls
    /// one at a time, says READY, and calls `leave` with the exit code once the parent says
    /// to go. A worker process does this; so does an in-process worker in tests.
    /// - Returns: the served actor, to keep alive.
    @_spi(Testing)
    public static func host(_ launch: WorkerEnvironment, type: any Worker.Type, in system: TroupeActorSystem, pid: Int64,
                            leave: @escaping @Sendable (Int32) -> Void) -> any DistributedActor {
        if String(reflecting: type) == StateOwner.workerTypeName { _ = system.stateHandler { StateStore() } }
        let parent = PeerAddress.connection(launch.endpoint)
        system.routes.set(parent, for: launch.parentNode)
        system.connect(to: launch.endpoint)
        system.serveCallsSerially()
        system.onDisconnect { reason, peer in
            guard peer == parent else { return }
            // Leave after the calls already queued, as a closed pool's workers do.
            system.afterQueuedCalls {
                system.send(.goodbye, to: parent)
                system.shutdown()
                leave(reason == DisconnectReason.failed ? 1 : 0)
            }
        }
        let actor = makeActor(type, in: system)
        system.send(.ready(Envelope.Ready(node: launch.node, pid: pid, actorType: launch.typeName, actor: actor.number)), to: parent)
        return actor.instance
    }

    /// Serves every listed type to a standalone supervisor, reached over the network, until
    /// the supervisor says to leave or stays silent for too long.
    static func serveSupervisor(_ launch: RemoteWorkerEnvironment, types: [any Worker.Type]) async throws -> Never {
        prepareProcess(parent: launch.agentPID, launchVariables: RemoteWorkerEnvironment.allVariables)
        guard !types.isEmpty else {
            printError("troupe: Troupe.bootstrap(workers:) lists no worker type: this program has nothing to serve")
            exit(unknownTypeExitCode)
        }

        let node = "\(BrokerLink.hostName)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let system = try TroupeActorSystem(node: node, bind: nil)
        if let parent = launch.agentPID { system.watchParent(parent) }
        system.serveCallsSerially()
        var services: [String: UInt64] = [:]
        var actors: [any DistributedActor] = []
        for type in types {
            let actor = makeActor(type, in: system)
            services[String(reflecting: type)] = actor.number
            actors.append(actor.instance)
        }
        let curve: CurveClientSettings?
        do {
            curve = try launch.curveSettings()
        } catch {
            printError("troupe: \(error)")
            exit(unknownTypeExitCode)
        }
        _ = system.connectSupervisor(launch.endpoint, role: .worker(node: node, services: services), curve: curve)
        while true {
            try? await Task.sleep(for: .seconds(3600))
            withExtendedLifetime(actors) {}
        }
    }

    /// Creates the served actor; returns it and its number.
    private static func makeActor<W: Worker>(_ type: W.Type, in system: TroupeActorSystem) -> (instance: any DistributedActor, number: UInt64) {
        let actor = W(actorSystem: system)
        return (actor, actor.id.number)
    }
}

/// Reasons a parent gives in DISCONNECT.
enum DisconnectReason {
    /// The work is done; exit with code 0.
    static let done = "done"
    /// The process's target failed; exit with code 1, as Python's Process does.
    static let failed = "failed"
}
