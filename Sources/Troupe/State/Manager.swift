import TroupeWire

/// The owner of shared state and the factory of its proxies: Python's
/// `multiprocessing.Manager()`.
///
/// ```swift
/// let manager = try Manager()                          // owner in this process
/// let dictionary: SharedDictionary<Int, Int> = try await manager.dictionary()
/// let temp = try await manager.array([11, 22, 33, 44] as [Int32])
/// ```
/// By default the owner lives in this process (its mailbox thread serves the workers);
/// ``startOwnerProcess(timeout:)`` runs it in a process of its own. Proxies are `Codable`:
/// pass them to workers as arguments.
public final class Manager: Sendable {
    let system: TroupeActorSystem
    private let ownerNode: String
    private let ownerEndpoint: String?
    private let store: (any StateRequestHandler)?
    private let ownerProcess: ActorProcess<StateOwner>?
    /// How long an operation may go unanswered before it fails with `.ownerUnavailable`.
    public let timeout: Duration

    /// Creates a manager whose owner lives in this process.
    /// - Parameters:
    ///   - timeout: how long an operation may go unanswered.
    ///   - system: the actor system that holds the state: by default this process's own; a
    ///     test gives an in-memory one (`TroupeTesting`).
    /// - Throws: ``TroupeError`` when this process's mailbox cannot be opened.
    public init(timeout: Duration = .seconds(30), system: TroupeActorSystem? = nil) throws {
        WorkerLauncher.refuseWithoutBootstrap()
        let system = try system ?? TroupeActorSystem.local()
        let store = system.stateHandler { StateStore() }
        self.system = system
        self.store = store
        self.ownerNode = system.node
        self.ownerEndpoint = system.endpoint
        self.ownerProcess = nil
        self.timeout = timeout
    }

    /// The containers this manager's owner holds, with their sizes, when the owner lives in
    /// this process; nil otherwise (a dashboard of a local pool shows them).
    @_spi(Observability)
    public func containerSizes() -> [BrokerStatus.Container]? {
        (store as? StateStore)?.containerSizes()
    }

    private init(system: TroupeActorSystem, process: ActorProcess<StateOwner>, endpoint: String, timeout: Duration) {
        self.system = system
        self.store = nil
        self.ownerNode = process.node
        self.ownerEndpoint = endpoint
        self.ownerProcess = process
        self.timeout = timeout
    }

    /// A manager for the shared state held by a standalone supervisor (`troupe supervisor`),
    /// reachable from every host of the deployment; proxies passed to remote workers reach
    /// it through their own connection to the supervisor.
    /// - Parameters:
    ///   - endpoint: the supervisor's endpoint, such as `tcp://10.0.0.5:5555`.
    ///   - security: CURVE keys, or `.insecure` on a trusted network.
    ///   - timeout: how long an operation may go unanswered.
    /// - Returns: a manager whose containers live in the supervisor.
    /// - Throws: ``TroupeError`` `.timeout` (or `.workerLost`, when its heartbeats stop first)
    ///   when the supervisor does not answer: it is unreachable, or refuses this client's key.
    public static func connecting(to endpoint: String, security: ClientSecurity, timeout: Duration = .seconds(30)) async throws -> Manager {
        let client = try BrokerClient(endpoint: endpoint, security: security)
        _ = try await client.status(timeout: min(timeout, .seconds(10)))
        return Manager(system: client.system, node: SharedStateReference.supervisorNode(endpoint), endpoint: endpoint, timeout: timeout)
    }

    private init(system: TroupeActorSystem, node: String, endpoint: String, timeout: Duration) {
        self.system = system
        self.store = nil
        self.ownerNode = node
        self.ownerEndpoint = endpoint
        self.ownerProcess = nil
        self.timeout = timeout
    }

    /// Starts the owner in a process of its own and returns a manager for it. The owner
    /// process is killed with this one, like every Troupe child.
    /// - Parameter timeout: how long an operation may go unanswered.
    /// - Returns: the manager.
    /// - Throws: ``TroupeError`` `.workerStartFailed` when the process cannot start.
    public static func startOwnerProcess(timeout: Duration = .seconds(30)) async throws -> Manager {
        let system = try TroupeActorSystem.local()
        let process = try await ActorProcess.start(StateOwner.self)
        let endpoint = try await process.actor.endpoint()
        system.connect(to: endpoint)
        // The owner cannot see this process's workers die: tell it, so their locks are freed.
        let owner = process.actor
        system.onPeerLoss { node in
            Task { try? await owner.release(node: node) }
        }
        // This process sees the owner exit: from then on its containers' calls fail at once.
        let node = process.node, pid = process.pid
        Task {
            let status = await process.join()
            let reason = "process (pid \(pid)) \(status.map { "\($0)" } ?? "ended")"
            SharedStateRoute.ownerDied(node, reason: reason)
            system.calls.failAll(to: .connection(endpoint), with: TroupeError(
                .ownerUnavailable, "the shared-state owner process (pid \(pid)) \(status.map { "\($0)" } ?? "ended") while the operation waited for it; it may or may not have been performed",
                context: ["owner": node]))
        }
        return Manager(system: system, process: process, endpoint: endpoint, timeout: timeout)
    }

    /// The owner process's id, when the owner runs in a process of its own.
    public var ownerProcessID: Int32? { ownerProcess?.pid }

    /// Stops the owner process (when it has one); proxies then fail with `.ownerUnavailable`.
    public func shutdown() async {
        await ownerProcess?.stop(gracePeriod: .seconds(2))
    }

    // MARK: Containers

    /// A shared dictionary, created empty or from `initial` (or attached, when `name` exists).
    /// - Parameters:
    ///   - initial: the first entries.
    ///   - name: the container's name; by default a new unique one. Naming an existing
    ///     container of the same kind attaches to it.
    /// - Returns: a proxy to it.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time, or
    ///   `.typeMismatch` when `name` names a container of another kind.
    public func dictionary<Key, Value>(_ initial: [Key: Value] = [:], name: String? = nil) async throws -> SharedDictionary<Key, Value> {
        let client = try await create(name, prefix: "dict", kind: "dict", arguments: [], initial: initial.isEmpty ? nil : {
            var writer = MapArgumentWriter(count: initial.count)
            for (key, value) in initial { try writer.append(key, value) }
            return writer.bytes
        })
        return SharedDictionary(client: client)
    }

    /// A shared fixed-size array holding `initial` (Python's `Array('i', [11, 22, 33, 44])`).
    /// - Parameters:
    ///   - initial: the elements; their number is the array's fixed size.
    ///   - name: the container's name; by default a new unique one. Naming an existing array
    ///     of the same element type and size attaches to it.
    /// - Returns: a proxy to it.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time, or
    ///   `.typeMismatch` when `name` names another kind of container, or an array of another
    ///   element type or size.
    public func array<Element: SharedArrayElement>(_ initial: [Element], name: String? = nil) async throws -> SharedArray<Element> {
        let encoder = MessagePackEncoder()
        let client = try await create(name, prefix: "array", kind: "array",
                                      arguments: [try encoder.encode(Element.typeCode), try encoder.encode(initial)])
        return SharedArray(client: client, count: initial.count)
    }

    /// A shared fixed-size array of `count` copies of `value` (Python's `Array('d', 10)`
    /// with `value` 0).
    /// - Parameters:
    ///   - value: the value of every element.
    ///   - count: the array's fixed size.
    ///   - name: the container's name; by default a new unique one.
    /// - Returns: a proxy to it.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time, or
    ///   `.typeMismatch` when `name` names another kind of container, or an array of another
    ///   element type or size.
    public func array<Element: SharedArrayElement>(repeating value: Element, count: Int, name: String? = nil) async throws -> SharedArray<Element> {
        try await array(Array(repeating: value, count: count), name: name)
    }

    /// A shared list holding `initial` (Python's `Manager().list()`).
    /// - Parameters:
    ///   - initial: the first elements.
    ///   - name: the container's name; by default a new unique one. Naming an existing list
    ///     attaches to it.
    /// - Returns: a proxy to it.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time, or
    ///   `.typeMismatch` when `name` names a container of another kind.
    public func list<Element: Codable & Sendable>(_ initial: [Element] = [], name: String? = nil) async throws -> SharedList<Element> {
        SharedList(client: try await create(name, prefix: "list", kind: "list", arguments: [try MessagePackEncoder().encode(initial)]))
    }

    /// A shared single value (Python's `Value` and `Manager().Value()`).
    /// - Parameters:
    ///   - initial: the first value.
    ///   - name: the container's name; by default a new unique one. Naming an existing value
    ///     attaches to it.
    /// - Returns: a proxy to it.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time, or
    ///   `.typeMismatch` when `name` names a container of another kind.
    public func value<Wrapped: Codable & Sendable>(_ initial: Wrapped, name: String? = nil) async throws -> SharedValue<Wrapped> {
        SharedValue(client: try await create(name, prefix: "value", kind: "value", arguments: [try MessagePackEncoder().encode(initial)]))
    }

    /// A shared first-in, first-out queue of `Element`s (Python's `Manager().Queue()`).
    /// - Parameters:
    ///   - type: the element type, when the context does not tell it.
    ///   - name: the container's name; by default a new unique one. Naming an existing queue
    ///     attaches to it.
    /// - Returns: a proxy to it.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time, or
    ///   `.typeMismatch` when `name` names a container of another kind.
    public func queue<Element: Codable & Sendable>(of type: Element.Type = Element.self, name: String? = nil) async throws -> SharedQueue<Element> {
        SharedQueue(client: try await create(name, prefix: "queue", kind: "queue", arguments: []))
    }

    /// A shared lock (Python's `Manager().Lock()`), released when the process holding it dies.
    /// - Parameter name: the container's name; by default a new unique one. Naming an
    ///   existing lock attaches to it.
    /// - Returns: a proxy to it.
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time, or
    ///   `.typeMismatch` when `name` names a container of another kind.
    public func lock(name: String? = nil) async throws -> SharedLock {
        SharedLock(client: try await create(name, prefix: "lock", kind: "lock", arguments: []))
    }

    /// A new container name: the kind and 128 random bits (from the system's secure random
    /// source), so that only a process given a proxy can name the container.
    static func unguessableName(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bits = (0..<2).map { _ in generator.next() as UInt64 }
        return prefix + "-" + bits.map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    private func create(_ name: String?, prefix: String, kind: String, arguments: [[UInt8]],
                        initial: (() throws -> [UInt8])? = nil) async throws -> StateClient {
        let chosen = name ?? Self.unguessableName(prefix: prefix)
        let reference = SharedStateReference(node: ownerNode, endpoint: ownerEndpoint, name: chosen)
        let client = StateClient(system: system, reference: reference, timeout: timeout)
        var all = [try MessagePackEncoder().encode(kind)] + arguments
        if let initial { all.append(try initial()) }
        _ = try await client.perform("create", all)
        return client
    }
}
