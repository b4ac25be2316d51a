import Logging
import Synchronization
@_spi(Testing) import Troupe

/// Starts a pool's workers inside this process: each is an actor system of its own over an
/// in-memory transport, serving the requested type one call at a time, as a worker process
/// would, and "exits" when told to leave or when ``InMemoryCluster/kill(pid:)`` kills it.
final class InMemoryWorkers: WorkerSpawner {
    private struct Hosted {
        let system: TroupeActorSystem
        let transport: InMemoryTransport
        let actor: any DistributedActor
        let child: ChildProcess
    }

    private let network: InMemoryNetwork
    private let types: [any Worker.Type]
    private let workers = Mutex<[Int32: Hosted]>([:])
    private let lastPID = Atomic<Int32>(1_000_000)

    init(network: InMemoryNetwork, types: [any Worker.Type]) {
        self.network = network
        self.types = types
    }

    func spawn(_ launch: WorkerEnvironment) async throws -> ChildProcess {
        let servable = types + [StateOwner.self]
        guard let type = servable.first(where: { String(reflecting: $0) == launch.typeName }) else {
            throw TroupeError(.workerStartFailed, "the in-memory cluster serves only [\(servable.map { String(reflecting: $0) }.joined(separator: ", "))], not \(launch.typeName): list it in InMemoryCluster(workers:)")
        }
        let pid = lastPID.add(1, ordering: .relaxed).newValue
        let transport = try InMemoryTransport(network: network, identity: Array(launch.node.utf8), bind: nil)
        var logger = Logger(label: "troupe.memory")
        logger[metadataKey: "troupe.node"] = "\(launch.node)"
        let system = TroupeActorSystem(node: launch.node, transport: transport, logger: logger, spawner: self,
                                       progressPath: launch.progressPath)
        let child = ChildProcess(simulatedPID: pid) { [weak self] signal in
            self?.end(pid, status: .signaled(signal: signal))
        }
        let actor = WorkerHost.host(launch, type: type, in: system, pid: Int64(pid)) { [weak self] code in
            self?.end(pid, status: .exited(code: code))
        }
        workers.withLock { $0[pid] = Hosted(system: system, transport: transport, actor: actor, child: child) }
        return child
    }

    /// Ends the worker `pid` as a killed process ends: its messages stop at once.
    func end(_ pid: Int32, status: ExitStatus) {
        guard let worker = workers.withLock({ $0.removeValue(forKey: pid) }) else { return }
        if case .signaled = status { worker.transport.sever() } else { worker.transport.shutdown() }
        worker.child.simulateExit(status)
    }

    /// The ids of the workers alive now.
    var livePIDs: [Int32] { workers.withLock { Array($0.keys) } }
}
