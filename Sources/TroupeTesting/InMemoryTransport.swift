import TroupePlatform
import CTroupeShims
import Logging
import Synchronization
@_spi(Testing) import Troupe
import TroupeWire

/// A transport that moves messages between actor systems of one process, with the
/// semantics of Troupe's ZeroMQ mailbox: a bound transport sees each connected peer by its
/// routing identity, a connecting one sees its peer by endpoint; envelopes queued for one
/// peer in a turn travel in one body, encoded and decoded as on the wire; a send to a peer
/// that is gone is reported as unreachable. It runs the system's tasks on a
/// ``MailboxExecutor`` of its own, as the mailbox does.
final class InMemoryTransport: MessageTransport {
    let executor: MailboxExecutor
    let boundEndpoint: String?
    let identity: [UInt8]

    private struct Outbox {
        var bodies: [PeerAddress: EnvelopeWriter] = [:]
        var sequence: UInt64 = 0
        var connects: [String] = []
        var stopping = false
    }

    private struct Shared {
        var delegate: (any TransportDelegate)?
        /// Bodies that arrived, with who sent them.
        var inbox: [(from: PeerAddress, body: [UInt8])] = []
        /// Transports connected to this one, by routing identity.
        var connected: [[UInt8]: InMemoryTransport] = [:]
        /// The endpoints this one connected to.
        var connections: Set<String> = []
        var stopped = false
    }

    private let network: InMemoryNetwork
    private let outbox = Mutex(Outbox())
    private let shared = Mutex(Shared())
    private let wakeDescriptor: Int32

    init(network: InMemoryNetwork, identity: [UInt8], bind endpoint: String?) throws {
        self.network = network
        self.identity = identity
        self.boundEndpoint = endpoint
        wakeDescriptor = troupe_eventfd()
        guard wakeDescriptor >= 0 else { throw TroupeError(.system, "eventfd failed") }
        executor = MailboxExecutor(name: "troupe-memory", wakeDescriptor: wakeDescriptor,
                                   driver: InMemoryDriver(wakeDescriptor: wakeDescriptor))
        executor.withDriver { ($0 as? InMemoryDriver)?.transport = self }
        if let endpoint { network.bind(self, at: endpoint) }
    }

    func start(delegate: any TransportDelegate) {
        shared.withLock { $0.delegate = delegate }
        executor.start()
    }

    @discardableResult
    func send(_ envelope: Envelope, to peer: PeerAddress) -> UInt64 {
        let sequence = outbox.withLock { outbox -> UInt64 in
            outbox.bodies[peer, default: EnvelopeWriter()].append(envelope)
            outbox.sequence += 1
            return outbox.sequence
        }
        if !executor.isLeaderThread { executor.wakeLeader() }
        return sequence
    }

    func send(frames: [[UInt8]], to endpoint: String) {
        // Protocol 2 has no in-memory peer: a standalone supervisor is a process.
    }

    func connect(to endpoint: String, curve: CurveClientSettings?) {
        outbox.withLock { $0.connects.append(endpoint) }
        executor.wakeLeader()
    }

    func reconnect(to endpoint: String) {
        connect(to: endpoint, curve: nil)
    }

    func beginFastTicks() {}
    func endFastTicks() {}

    func shutdown() {
        outbox.withLock { $0.stopping = true }
        executor.wakeLeader()
        if !executor.isExecutorThread { _ = executor.waitUntilStopped(timeout: .seconds(2)) }
    }

    /// Stops at once, dropping what is queued, as a process killed with SIGKILL does.
    func sever() {
        shared.withLock { $0.stopped = true }
        outbox.withLock { $0 = Outbox(stopping: true) }
        if let boundEndpoint { network.unbind(boundEndpoint) }
        executor.wakeLeader()
    }

    // MARK: Between transports

    fileprivate func accept(_ body: [UInt8], from peer: PeerAddress, connecting transport: InMemoryTransport?) -> Bool {
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.stopped else { return false }
            if let transport, case .routed(let identity) = peer { shared.connected[identity] = transport }
            shared.inbox.append((peer, body))
            return true
        }
        if accepted { executor.wakeLeader() }
        return accepted
    }

    // MARK: The driver's side

    fileprivate var isStopped: Bool { shared.withLock { $0.stopped } }

    /// Sends what is queued. Returns false once stopped.
    fileprivate func transmit() -> Bool {
        let taken = outbox.withLock { outbox -> Outbox in
            let taken = outbox
            outbox.bodies.removeAll()
            outbox.connects.removeAll()
            return taken
        }
        if shared.withLock({ $0.stopped }) { return false }
        for endpoint in taken.connects { shared.withLock { _ = $0.connections.insert(endpoint) } }
        let delegate = shared.withLock { $0.delegate }
        for (peer, writer) in taken.bodies {
            let delivered: Bool
            switch peer {
            case .connection(let endpoint):
                delivered = network.transport(at: endpoint)?.accept(writer.bytes, from: .routed(identity), connecting: self) ?? false
            case .routed(let identity):
                let target = shared.withLock { $0.connected[identity] }
                delivered = target?.accept(writer.bytes, from: .connection(boundEndpoint ?? ""), connecting: nil) ?? false
            default:
                delivered = false
            }
            if !delivered { delegate?.transport(cannotReach: peer) }
        }
        if taken.stopping {
            shared.withLock { $0.stopped = true }
            if let boundEndpoint { network.unbind(boundEndpoint) }
            return false
        }
        return true
    }

    /// Hands on what arrived.
    fileprivate func deliver() {
        let (arrived, delegate) = shared.withLock { shared in
            defer { shared.inbox.removeAll() }
            return (shared.inbox, shared.delegate)
        }
        guard let delegate else { return }
        for (peer, body) in arrived {
            do {
                for envelope in try EnvelopeDecoder().decode(body: body) { delegate.transport(received: envelope, from: peer) }
            } catch {
                delegate.transport(rejected: error, from: peer)
            }
        }
    }

    fileprivate func tick() {
        shared.withLock { $0.delegate }?.transportTick()
    }
}

/// The leader's turn of an in-memory transport: send, wait on the wake-up descriptor, deliver.
private final class InMemoryDriver: MailboxDriver {
    weak var transport: InMemoryTransport?
    private let wakeDescriptor: Int32
    private var nextTick = ContinuousClock.now

    init(wakeDescriptor: Int32) {
        self.wakeDescriptor = wakeDescriptor
    }

    func turn(waitMilliseconds: Int) -> Bool {
        guard let transport, transport.transmit() else { return false }
        let untilTick = max(0, Int(ContinuousClock.now.duration(to: nextTick).components.seconds * 1000
                                  + ContinuousClock.now.duration(to: nextTick).components.attoseconds / 1_000_000_000_000_000))
        var descriptor = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, Int32(waitMilliseconds < 0 ? min(untilTick, 50) : waitMilliseconds))
        if descriptor.revents != 0 {
            var count: UInt64 = 0
            _ = read(wakeDescriptor, &count, 8)
        }
        transport.deliver()
        if ContinuousClock.now >= nextTick {
            nextTick = ContinuousClock.now.advanced(by: .milliseconds(50))
            transport.tick()
        }
        return !transport.isStopped
    }

    func flush() {
        _ = transport?.transmit()
    }
}
