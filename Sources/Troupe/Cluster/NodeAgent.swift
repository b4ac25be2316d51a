import TroupePlatform
import Synchronization

/// Runs worker processes of a program on this host for a standalone supervisor, and keeps
/// them running (a node agent, as `ray start --address` is). `troupe worker` runs one.
///
/// Each process connects to the supervisor itself. One that crashes is restarted, within the
/// restart intensity; one that lost its supervisor for too long exits and is restarted with
/// a back-off, to rejoin when the supervisor is back. When the supervisor stops the
/// deployment, the workers exit normally and the agent returns.
public final class NodeAgent: Sendable {
    /// What to run and where to connect.
    public struct Configuration: Sendable {
        /// The supervisor's endpoint.
        public var supervisor: String
        /// How many worker processes to keep.
        public var processes: Int
        /// The program to run (it must call `Troupe.bootstrap(workers:)` first thing).
        public var program: String
        /// Its arguments.
        public var arguments: [String]
        /// The supervisor's public key file and this node's secret key file, for CURVE.
        public var keyFiles: (serverKey: String, key: String)?
        /// At most this many crashes in this period; then the agent gives up.
        public var intensity: RestartIntensity
        /// How long the program may take to answer the probe that checks it is a Troupe program.
        public var probeTimeout: Duration

        /// Creates a configuration.
        /// - Parameters:
        ///   - supervisor: the supervisor's endpoint, such as `tcp://10.0.0.5:5555`.
        ///   - processes: how many worker processes to keep.
        ///   - program: the path of the program to run.
        ///   - arguments: its arguments.
        ///   - keyFiles: the supervisor's public key file and this node's secret key file, or
        ///     nil to connect without CURVE.
        ///   - intensity: at most this many crashes in this period; then the agent gives up.
        ///   - probeTimeout: how long the program may take to answer the probe.
        public init(supervisor: String, processes: Int, program: String, arguments: [String] = [],
                    keyFiles: (serverKey: String, key: String)?, intensity: RestartIntensity = RestartIntensity(maxRestarts: 10, period: .seconds(30)),
                    probeTimeout: Duration = .seconds(10)) {
            self.supervisor = supervisor
            self.processes = processes
            self.program = program
            self.arguments = arguments
            self.keyFiles = keyFiles
            self.intensity = intensity
            self.probeTimeout = probeTimeout
        }
    }

    /// What the agent runs and where it connects.
    public let configuration: Configuration
    private let crashes = Mutex<[ContinuousClock.Instant]>([])

    /// Creates an agent; ``run()`` starts it.
    /// - Parameter configuration: what to run and where to connect.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs the worker processes until the supervisor stops the deployment (returns 0), or
    /// they crash too often (returns 1 after a message on standard error).
    /// - Returns: the exit code for the agent's process: 0 or 1.
    /// - Throws: ``TroupeError`` `.invalidArgument` when the program cannot be run at all or
    ///   a key file cannot be read.
    public func run() async throws -> Int32 {
        guard access(configuration.program, X_OK) == 0 else {
            throw TroupeError(.invalidArgument, "cannot run \(configuration.program): \(String(cString: strerror(errno)))",
                              context: ["program": configuration.program])
        }
        if let keys = configuration.keyFiles {
            _ = try KeyFiles.clientSettings(serverKey: keys.serverKey, key: keys.key)
        }
        SignalHandling.install()
        try await probe()
        let launch = RemoteWorkerEnvironment(endpoint: configuration.supervisor, serverKeyFile: configuration.keyFiles?.serverKey,
                                        keyFile: configuration.keyFiles?.key, agentPID: getpid())
        let environment = launch.environment(inheriting: currentEnvironment())
        let watch = Task { await self.watchReachability() }
        defer { watch.cancel() }
        return await withTaskGroup(of: Int32.self) { group in
            for slot in 0..<configuration.processes {
                group.addTask { await self.keepRunning(slot: slot, environment: environment) }
            }
            var worst: Int32 = 0
            for await code in group { worst = max(worst, code) }
            return worst
        }
    }

    /// The variable that asks a Troupe program to exit at once with ``probeExitCode``.
    static let probeVariable = "TROUPE_PROBE"
    /// What a Troupe program answers the probe with.
    static let probeExitCode: Int32 = 91

    /// Checks that the program is a Troupe program (its bootstrap answers the probe), so that
    /// a wrong program is reported at once rather than restarted for ever.
    private func probe() async throws {
        let environment = currentEnvironment().filter { !$0.hasPrefix(Self.probeVariable + "=") } + ["\(Self.probeVariable)=1"]
        let child = try await ProcessSpawner.shared.spawn(path: configuration.program, arguments: configuration.arguments,
                                                          environment: environment)
        let status = await child.wait(timeout: configuration.probeTimeout)
        if status == nil {
            child.send(.kill)
            _ = await child.wait(timeout: .seconds(5))
        }
        guard status == .exited(code: Self.probeExitCode) else {
            let what = status.map(Self.sentence) ?? "did not answer within \(configuration.probeTimeout) (--probe-timeout)"
            throw TroupeError(.invalidArgument,
                              "\(configuration.program) is not a Troupe worker program (it \(what) when asked): "
                                  + "it must call Troupe.bootstrap(workers:) first thing in main",
                              context: ["program": configuration.program])
        }
    }

    /// How a process ended, as the predicate of a sentence: "exited with code 3", "was killed
    /// by signal 15 (SIGTERM)".
    static func sentence(_ status: ExitStatus) -> String {
        switch status {
        case .exited: return "\(status)"
        case .signaled: return "was \(status)"
        }
    }

    /// Says, within a few seconds, when the supervisor does not answer, and again once it
    /// does; the workers keep trying meanwhile.
    private func watchReachability() async {
        let security: ClientSecurity
        if let keys = configuration.keyFiles, let settings = try? KeyFiles.clientSettings(serverKey: keys.serverKey, key: keys.key) {
            security = .curve(settings)
        } else {
            security = .insecure
        }
        guard let client = try? BrokerClient(endpoint: configuration.supervisor, security: security) else { return }
        var warned = false
        while !SignalHandling.isShuttingDown {
            do {
                _ = try await client.status(timeout: .seconds(3))
                if warned { printError("troupe worker: reached the supervisor at \(configuration.supervisor)") }
                return
            } catch {
                if !warned {
                    printError("troupe worker: cannot reach the supervisor at \(configuration.supervisor) (no answer within 3 s): "
                               + "is it running there, and is this node's .pub in its allow-list? Still trying")
                    warned = true
                }
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// Runs one worker position until it ends normally; returns the agent's exit code for it.
    private func keepRunning(slot: Int, environment: [String]) async -> Int32 {
        var backoff = Duration.milliseconds(100)
        while true {
            let child: ChildProcess
            do {
                child = try await ProcessSpawner.shared.spawn(path: configuration.program, arguments: configuration.arguments,
                                                              environment: environment)
            } catch {
                printError("troupe worker: \(error)")
                return 1
            }
            printError("troupe worker: started worker \(slot) (pid \(child.pid))")
            let status = await child.wait(timeout: nil) ?? .exited(code: -1)
            if SignalHandling.isShuttingDown { return 0 }
            if status.isSuccess {
                printError("troupe worker: worker \(slot) (pid \(child.pid)) left: the supervisor stopped the deployment")
                return 0
            }
            if status == .exited(code: BrokerLink.unauthorizedExitCode) {
                printError("troupe worker: the supervisor refused this node's key as a worker: it may not serve. Put its .pub in the supervisor's --allow-workers folder (or --allow); giving up")
                ProcessSpawner.shared.terminateAll(gracePeriod: .seconds(2))
                return 1
            }
            if status == .exited(code: WorkerHost.supervisorLostExitCode) {
                printError("troupe worker: worker \(slot) lost its supervisor; starting it again in \(backoff)")
            } else {
                let now = ContinuousClock.now
                let recent = crashes.withLock { crashes -> Int in
                    crashes = crashes.filter { now - $0 < configuration.intensity.period } + [now]
                    return crashes.count
                }
                if recent > configuration.intensity.maxRestarts {
                    printError("troupe worker: workers crashed \(recent) times within \(configuration.intensity.period) (the last \(status)); giving up")
                    ProcessSpawner.shared.terminateAll(gracePeriod: .seconds(2))
                    return 1
                }
                printError("troupe worker: worker \(slot) (pid \(child.pid)) \(status); restarting it")
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(10))
        }
    }
}
