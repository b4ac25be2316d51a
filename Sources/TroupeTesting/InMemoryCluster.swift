import Logging
@_spi(Testing) import Troupe

/// Troupe inside one process, for tests: a parent actor system whose pools start their
/// workers as in-process actor systems, all linked by in-memory transports that behave as
/// the ZeroMQ mailbox does (batches, prefetch, replies only from the peer that holds a call,
/// deaths seen and handled). No process is started and no socket is opened, so tests that
/// use it can run in parallel.
///
/// ```swift
/// let cluster = try InMemoryCluster(workers: [Squarer.self])
/// let pool = try await Pool<Squarer>(processes: 2, system: cluster.system)
/// #expect(try await pool.apply { try await $0.square(3) } == 9)
/// ```
/// The worker types are served as a worker process would serve them (one call at a time,
/// in order); ``kill(pid:)`` ends one as `kill -9` would. Keep real-process tests beside
/// these: this stands in for processes, it does not replace them.
public final class InMemoryCluster: Sendable {
    /// The parent's actor system: pass it to `Pool(processes:system:)` and `Manager(system:)`.
    public let system: TroupeActorSystem
    private let workers: InMemoryWorkers

    /// Creates a cluster whose workers can serve `workers` (the list a program gives
    /// `Troupe.bootstrap(workers:)`).
    /// - Parameter workers: the worker types in-process workers may serve.
    /// - Throws: ``TroupeError`` `.system` when no eventfd can be made.
    public init(workers: [any Worker.Type]) throws {
        let network = InMemoryNetwork()
        let spawner = InMemoryWorkers(network: network, types: workers)
        self.workers = spawner
        let endpoint = network.makeEndpoint("parent")
        let node = "memory-parent-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let transport = try InMemoryTransport(network: network, identity: Array(node.utf8), bind: endpoint)
        var logger = Logger(label: "troupe.memory")
        logger[metadataKey: "troupe.node"] = "\(node)"
        system = TroupeActorSystem(node: node, transport: transport, logger: logger, spawner: spawner)
    }

    /// Ends the in-process worker `pid` (as `pool.status()` shows it) as `kill -9` ends a
    /// process: what it was running is lost, and its pool sees it die.
    /// - Parameter pid: the worker's id.
    public func kill(pid: Int32) {
        workers.end(pid, status: .signaled(signal: 9))
    }

    /// The ids of the in-process workers alive now.
    public var livePIDs: [Int32] { workers.livePIDs }
}
