import TroupePlatform
import CTroupeShims
import Dispatch
import Logging
import Synchronization
import TroupeWire
import ZeroMQ

/// A standalone supervisor: it routes work between clients and the workers of many hosts by
/// actor type, without decoding the work itself (Protocol 2, after Majordomo), watches the
/// workers' heartbeats, holds shared state for the whole deployment (Protocol 3), and admits
/// only the keys it is given. `troupe supervisor` runs one.
///
/// ```swift
/// let server = try BrokerServer(BrokerConfiguration(bind: "tcp://0.0.0.0:5555", security: .insecure))
/// await server.wait()
/// ```
public final class BrokerServer: Sendable {
    /// The endpoint it is bound to (a wildcard port resolved).
    public let endpoint: String
    let configuration: BrokerConfiguration
    private let outbox = Mutex<[[[UInt8]]]>([])
    private let requests = Mutex<[@Sendable (BrokerLoop) -> Void]>([])
    private let wakeDescriptor: Int32
    /// The thread loop that runs the supervisor's ``BrokerLoop``; it closes `wakeDescriptor`
    /// once the loop has stopped.
    private let executor: MailboxExecutor
    private let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// The status as the loop stopped; set once, under `requests`' lock.
    private let finalStatus = Mutex<BrokerStatus?>(nil)
    let logger: Logger

    /// Binds the endpoint and starts serving.
    /// - Parameter configuration: the endpoint, the security and the liveness settings.
    /// - Throws: ``TroupeError`` `.system` when the endpoint cannot be bound (taken, or not
    ///   an endpoint such as `tcp://0.0.0.0:5555`) or the keys are invalid.
    public init(_ configuration: BrokerConfiguration) throws {
        guard configuration.bind.contains("://") else {
            throw TroupeError(.invalidArgument, "'\(configuration.bind)' is not a ZeroMQ endpoint: write tcp://\(configuration.bind)",
                              context: ["endpoint": configuration.bind])
        }
        self.configuration = configuration
        var logger = Logger(label: "troupe.supervisor")
        logger[metadataKey: "troupe.endpoint"] = "\(configuration.bind)"
        self.logger = logger
        wakeDescriptor = troupe_eventfd()
        let context: Context
        let router: Socket
        var zap: Socket? = nil
        var monitor: SocketMonitor? = nil
        do {
            context = try Context(ioThreads: 1)
            if configuration.security.server != nil {
                // The ZAP handler must be bound before the first connection arrives.
                let handler = try Socket(context, type: .rep)
                try handler.set(.linger, .zero)
                try handler.bind("inproc://zeromq.zap.01")
                zap = handler
            }
            // Set up as the mailbox's sockets are; the supervisor lingers longer, for the
            // DISCONNECTs and DONE it sends as it stops.
            router = try SocketSetup.messageSocket(context, type: .router, maximumMessageSize: TroupeActorSystem.defaultMaximumMessageSize,
                                                   linger: .milliseconds(500))
            try router.set(.routerMandatory, true)
            if let server = configuration.security.server { try server.apply(to: router) }
            if zap != nil {
                // Handshakes that fail before ZAP (plaintext, a wrong server key) are seen here.
                monitor = try SocketMonitor(monitoring: router, events: [.handshakeFailedNoDetail, .handshakeFailedProtocol])
            }
            if let path = Self.socketPath(of: configuration.bind) {
                // Made by this user alone, whatever the umask: another user can neither
                // connect nor replace it.
                let saved = umask(0o077)
                defer { umask(saved) }
                try router.bind(configuration.bind)
                chmod(path, 0o600)
            } else {
                try router.bind(configuration.bind)
            }
            endpoint = try router.lastEndpoint ?? configuration.bind
        } catch let error as ZMQError {
            throw TroupeError(.system, "the supervisor cannot listen on \(configuration.bind): \(error.message)",
                              context: ["endpoint": configuration.bind])
        }
        executor = MailboxExecutor(name: "troupe-broker", wakeDescriptor: wakeDescriptor)
        let loop = BrokerLoop(server: self, context: context, router: router, zap: zap, monitor: monitor)
        logger.info("supervisor listening", metadata: ["troupe.secure": "\(configuration.security.server != nil)"])
        executor.start(driver: loop)
    }

    /// The file of an `ipc://` endpoint (nil for other transports and abstract sockets).
    static func socketPath(of endpoint: String) -> String? {
        guard endpoint.hasPrefix("ipc://") else { return nil }
        let path = String(endpoint.dropFirst("ipc://".count))
        return path.isEmpty || path.hasPrefix("@") || path == "*" ? nil : path
    }

    /// Waits until the supervisor has stopped (by ``stop(now:)`` or a client's STOP).
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Stops the supervisor: with `now`, at once (running and queued work fails with
    /// `.terminated`); otherwise once the queued and running work is done. Workers are told
    /// to leave.
    /// - Parameter now: whether to fail the running and queued work instead of waiting for it.
    public func stop(now: Bool = false) {
        perform { $0.beginStop(now: now, requester: nil) }
    }

    /// A snapshot of the supervisor's workers, queue and counters.
    /// - Returns: what `troupe status` shows.
    public func status() async -> BrokerStatus {
        await withCheckedContinuation { continuation in
            // Once the loop has stopped, nothing would run a request: answer its last status.
            let final = requests.withLock { requests -> BrokerStatus? in
                if let final = finalStatus.withLock({ $0 }) { return final }
                requests.append { continuation.resume(returning: $0.makeStatus()) }
                return nil
            }
            if let final { continuation.resume(returning: final) } else { wake() }
        }
    }

    // MARK: For the loop

    /// Runs `body` on the supervisor's thread.
    func perform(_ body: @escaping @Sendable (BrokerLoop) -> Void) {
        requests.withLock { $0.append(body) }
        wake()
    }

    /// Queues a message (its frames, the routing id first) from any thread.
    func enqueue(_ frames: [[UInt8]]) {
        outbox.withLock { $0.append(frames) }
        wake()
    }

    private func wake() {
        executor.wakeLeader()
    }

    var wakeFD: Int32 { wakeDescriptor }

    /// Reads the wake-up descriptor, which fired.
    func clearWakeups() {
        var count: UInt64 = 0
        _ = read(wakeDescriptor, &count, 8)
    }

    /// What other threads queued for the loop since its last turn.
    func takeWork() -> (messages: [[[UInt8]]], requests: [@Sendable (BrokerLoop) -> Void]) {
        let messages = outbox.withLock { outbox in
            defer { outbox.removeAll() }
            return outbox
        }
        let work = requests.withLock { requests in
            defer { requests.removeAll() }
            return requests
        }
        return (messages, work)
    }

    /// The loop has stopped: runs what still waits for it, and makes `status` the answer of
    /// every later ``status()``.
    func markStopped(with status: BrokerStatus, loop: BrokerLoop) {
        let pending = requests.withLock { requests in
            finalStatus.withLock { $0 = status }
            defer { requests.removeAll() }
            return requests
        }
        for request in pending { request(loop) }
    }

    func markFinished() {
        let waiters = finished.withLock { state in
            state.done = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
