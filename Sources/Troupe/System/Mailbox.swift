import CTroupeShims
import Logging
import Synchronization
import TroupeWire
import ZeroMQ

/// A process's mailbox over ZeroMQ: a ROUTER socket that workers connect to (when it binds
/// an endpoint) and a DEALER for each connection it makes, all owned by the leader thread of
/// its ``MailboxExecutor``, which runs the system's tasks between polls.
///
/// Any thread can queue an envelope with ``send(_:to:)``. Envelopes queued for the same
/// peer before the next turn leave together in one ZeroMQ message (a batch), so the
/// per-message cost is shared when work is pipelined; a task running on the mailbox's own
/// thread queues its sends with no wake-up at all. It speaks Protocol 1; messages with
/// another signature (Protocol 2, from a standalone supervisor) go to the delegate as frames.
final class Mailbox: MessageTransport {
    let boundEndpoint: String?
    let executor: MailboxExecutor

    /// How often the delegate's `transportTick()` runs, in milliseconds.
    static let tickInterval = 50
    /// The tick interval while fast ticks are asked for.
    static let fastTickInterval = 5

    /// The signature frame every Protocol 1 message starts with.
    static let signature = Signature.bytes

    let outbox: MailboxOutbox
    private let stopping = Atomic<Bool>(false)
    private let fastTickRequests = FastTickRequests()

    /// Opens the sockets and binds the endpoint; ``start(delegate:)`` starts the threads.
    /// - Parameters:
    ///   - routingID: this node's identity on connections it makes.
    ///   - bind: the endpoint to accept connections on, or nil.
    ///   - security: CURVE server settings for a TCP endpoint, or nil.
    ///   - maximumMessageSize: the largest message accepted, in bytes.
    ///   - logger: where to log rejected input and transport errors.
    /// - Throws: ``TroupeError`` `.system` when the endpoint cannot be bound.
    init(routingID: [UInt8], bind: String?, security: CurveServerSettings?, maximumMessageSize: Int, logger: Logger) throws {
        // A body may hold the largest payload and its envelope, and no more.
        outbox = MailboxOutbox(bodyLimit: maximumMessageSize)
        let wakeDescriptor = troupe_eventfd()
        guard wakeDescriptor >= 0 else {
            throw TroupeError(.system, "eventfd failed: \(systemErrorText())")
        }
        let sockets = try MailboxSockets(routingID: routingID, bind: bind, security: security,
                                         maximumMessageSize: maximumMessageSize, logger: logger,
                                         outbox: outbox, wakeDescriptor: wakeDescriptor)
        boundEndpoint = sockets.boundEndpoint
        executor = MailboxExecutor(name: "troupe-mailbox", wakeDescriptor: wakeDescriptor, driver: sockets)
    }

    func start(delegate: any TransportDelegate) {
        let fastTicks = fastTickRequests
        executor.withDriver { driver in
            guard let sockets = driver as? MailboxSockets else { return }
            sockets.delegate = delegate
            sockets.tickInterval = { fastTicks.count.load(ordering: .relaxed) > 0 ? Mailbox.fastTickInterval : Mailbox.tickInterval }
            sockets.waitEnded = { [weak executor] in executor?.leaderFinishedWaiting() }
        }
        executor.start()
    }

    @discardableResult
    func send(_ envelope: Envelope, to peer: PeerAddress) -> UInt64 {
        let sequence = outbox.append(envelope, to: peer)
        wake()
        return sequence
    }

    func send(frames: [[UInt8]], to endpoint: String) {
        outbox.append(frames: frames, to: endpoint)
        wake()
    }

    func send(command header: [UInt8], payload: [UInt8], to endpoint: String, batched: Bool) {
        outbox.append(command: header, payload: payload, to: endpoint, batched: batched)
        wake()
    }

    func connect(to endpoint: String, curve: CurveClientSettings?) {
        outbox.connect(to: endpoint, curve: curve)
        wake()
    }

    func reconnect(to endpoint: String) {
        outbox.reconnect(to: endpoint)
        wake()
    }

    func whenDeparted(_ peer: PeerAddress, _ body: @escaping @Sendable () -> Void) {
        outbox.watchDeparture(of: peer, body)
        wake()
    }

    /// Asks for ticks every ``fastTickInterval`` until the matching ``endFastTicks()``.
    func beginFastTicks() {
        fastTickRequests.count.add(1, ordering: .relaxed)
        executor.wakeLeader()
    }

    /// Ends one ``beginFastTicks()``.
    func endFastTicks() {
        fastTickRequests.count.subtract(1, ordering: .relaxed)
    }

    func shutdown() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        outbox.stop()
        if executor.isExecutorThread {
            // A task on the mailbox's own thread (a worker leaving): send what is queued now,
            // since the process may exit as soon as this returns.
            executor.withDriver { ($0 as? MailboxSockets)?.flushAndClose() }
            return
        }
        executor.wakeLeader()
        _ = executor.waitUntilStopped(timeout: .seconds(2))
    }

    /// Wakes whoever does the next turn, unless that is the caller.
    private func wake() {
        executor.wakeToSend()
    }
}

/// How many parts of the system want fast ticks now.
final class FastTickRequests: Sendable {
    let count = Atomic<Int>(0)
}
