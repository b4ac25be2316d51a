#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CTroupeShims
import Dispatch
import Logging
import Synchronization
import TroupeWire
import ZeroMQ

/// Receives the envelopes a mailbox takes in, on the mailbox's thread.
protocol MailboxDelegate: AnyObject, Sendable {
    /// One envelope from `peer`.
    func mailbox(received envelope: Envelope, from peer: PeerAddress)
    /// One Protocol 2 command from `peer`, with its payload.
    func mailbox(received command: SupervisorCommand, payload: [UInt8], from peer: PeerAddress)
    /// A message from `peer` that is not valid Troupe protocol.
    func mailbox(rejected error: WireError, from peer: PeerAddress)
    /// `peer` is not connected: what was queued for it was dropped.
    func mailbox(cannotReach peer: PeerAddress)
    /// Called about every ``Mailbox/tickInterval``: time to check deadlines and heartbeats.
    func mailboxTick()
}

/// A process's mailbox: the ZeroMQ sockets of one actor system, all owned by one dedicated
/// thread that polls them together with a wake-up descriptor.
///
/// Any thread can queue an envelope with ``send(_:to:)``. Envelopes queued for the same
/// peer before the thread wakes leave together in one ZeroMQ message (a batch), so the
/// per-message cost is shared when work is pipelined.
final class Mailbox: Sendable {
    /// The endpoint the mailbox accepts connections on, if it binds one (wildcards resolved).
    let boundEndpoint: String?

    private struct Outbox {
        var bodies: [PeerAddress: EnvelopeWriter] = [:]
        var frames: [(endpoint: String, frames: [[UInt8]])] = []
        var connects: [(endpoint: String, curve: CurveClientSettings?)] = []
        var reconnects: [String] = []
        var wakePending = false
        var stopping = false
    }

    /// What the loop takes from the outbox at each wake-up.
    fileprivate struct Outgoing {
        var bodies: [PeerAddress: EnvelopeWriter]
        var frames: [(endpoint: String, frames: [[UInt8]])]
        var connects: [(endpoint: String, curve: CurveClientSettings?)]
        var reconnects: [String]
        var stopping: Bool
    }

    private let outbox = Mutex(Outbox())
    private let wakeDescriptor: Int32
    private let context: Context
    private let routingID: [UInt8]
    fileprivate let maximumMessageSize: Int
    private let logger: Logger
    private let stopped = DispatchSemaphore(value: 0)
    private let router: Mutex<Socket?>
    private let threadID = Atomic<UInt>(0)
    private let delegateBox = Mutex<(any MailboxDelegate)?>(nil)

    /// How often the delegate's `mailboxTick()` runs, in milliseconds.
    static let tickInterval = 50

    /// The signature frame every message starts with.
    static let signature = Signature.bytes

    /// Creates the mailbox and binds its endpoint; ``start(delegate:)`` starts its thread.
    /// - Parameters:
    ///   - routingID: this node's identity on connections it makes.
    ///   - bind: the endpoint to accept connections on, or nil.
    ///   - security: CURVE server settings for a TCP endpoint, or nil.
    ///   - logger: where to log rejected input and transport errors.
    init(routingID: [UInt8], bind: String?, security: CurveServerSettings?, maximumMessageSize: Int, logger: Logger) throws {
        self.maximumMessageSize = maximumMessageSize
        self.routingID = routingID
        self.logger = logger
        do {
            context = try Context(ioThreads: 1)
            if let bind {
                let socket = try Socket(context, type: .router)
                try socket.set(.linger, .milliseconds(200))
                try socket.set(.routerMandatory, true)
                // Room for the envelope's own fields around the largest payload.
                try socket.set(.maxMessageSize, Int64(maximumMessageSize + 4096))
                try socket.set(.sendHighWaterMark, 0)
                try socket.set(.receiveHighWaterMark, 0)
                if let security { try security.apply(to: socket) }
                try socket.bind(bind)
                boundEndpoint = try socket.lastEndpoint ?? bind
                router = Mutex(socket)
            } else {
                boundEndpoint = nil
                router = Mutex(nil)
            }
        } catch let error as ZMQError {
            throw TroupeError(.system, "cannot open the mailbox\(bind.map { " on \($0)" } ?? ""): \(error)",
                              context: bind.map { ["endpoint": $0] } ?? [:])
        }
        wakeDescriptor = troupe_eventfd()
        guard wakeDescriptor >= 0 else {
            throw TroupeError(.system, "eventfd failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Starts the mailbox thread, which hands what arrives to `delegate`.
    func start(delegate: any MailboxDelegate) {
        delegateBox.withLock { $0 = delegate }
        let socket = router.withLock { socket in
            defer { socket = nil }
            return socket
        }
        let loop = MailboxLoop(mailbox: self, router: socket, delegate: delegate)
        OSThread.start(name: "troupe-mailbox") { [loop] in
            loop.run()
        }
    }

    /// Queues `envelope` for `peer`. For a peer reached through a standalone supervisor,
    /// the envelope travels inside a Protocol 2 REQUEST or REPLY of its own.
    func send(_ envelope: Envelope, to peer: PeerAddress) {
        switch peer {
        case .routed, .connection:
            let wake = outbox.withLock { outbox -> Bool in
                outbox.bodies[peer, default: EnvelopeWriter()].append(envelope)
                if outbox.wakePending { return false }
                outbox.wakePending = true
                return true
            }
            // On the mailbox thread itself the loop sends it at the end of this turn.
            if wake && !isOnMailboxThread { signal() }
        case .service(let endpoint, let name):
            var body = EnvelopeWriter()
            body.append(envelope)
            switch envelope {
            case .call(let call):
                sendFrames([SupervisorCommand.signature, SupervisorCommand.request(id: call.callID, service: name, flags: 0).header, body.bytes], to: endpoint)
            case .cancel(let callID):
                sendFrames([SupervisorCommand.signature, SupervisorCommand.cancel(id: callID).header, []], to: endpoint)
            default:
                logger.debug("dropped an envelope that cannot travel to a service", metadata: ["troupe.kind": "\(envelope.kind)"])
            }
        case .brokered(let endpoint, let request):
            var body = EnvelopeWriter()
            body.append(envelope)
            sendFrames([SupervisorCommand.signature, SupervisorCommand.reply(id: request, final: true).header, body.bytes], to: endpoint)
        }
    }

    /// Queues a Protocol 2 message (its three frames) for the connection to `endpoint`.
    func send(_ command: SupervisorCommand, payload: [UInt8] = [], to endpoint: String) {
        sendFrames([SupervisorCommand.signature, command.header, payload], to: endpoint)
    }

    private func sendFrames(_ frames: [[UInt8]], to endpoint: String) {
        let wake = outbox.withLock { outbox -> Bool in
            outbox.frames.append((endpoint, frames))
            if outbox.wakePending { return false }
            outbox.wakePending = true
            return true
        }
        if wake { signal() }
    }

    /// Connects to `endpoint` ahead of the first message; with `curve`, the connection is
    /// encrypted and authenticated.
    func connect(to endpoint: String, curve: CurveClientSettings?) {
        outbox.withLock { $0.connects.append((endpoint, curve)) }
        signal()
    }

    /// Drops the connection to `endpoint` and makes a new one (with a new identity), after
    /// the peer went silent.
    func reconnect(to endpoint: String) {
        outbox.withLock { $0.reconnects.append(endpoint) }
        signal()
    }

    /// Sends what is queued, closes the sockets and stops the thread; waits up to 2 s.
    func shutdown() {
        let alreadyStopping = outbox.withLock { outbox -> Bool in
            defer { outbox.stopping = true }
            return outbox.stopping
        }
        if alreadyStopping { return }
        if isOnMailboxThread {
            // On the mailbox thread itself: the loop sees `stopping` when this handler returns.
            return
        }
        signal()
        _ = stopped.wait(timeout: .now() + .seconds(2))
    }

    private func signal() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    /// Whether the caller runs on the mailbox thread.
    var isOnMailboxThread: Bool {
        threadID.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self()))
    }

    // MARK: For the loop

    fileprivate func markThread() {
        threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
    }

    fileprivate var wakeFD: Int32 { wakeDescriptor }

    fileprivate func takeOutgoing() -> Outgoing {
        var count: UInt64 = 0
        _ = read(wakeDescriptor, &count, 8)
        return outbox.withLock { outbox in
            defer {
                outbox.bodies.removeAll(keepingCapacity: true)
                outbox.frames.removeAll()
                outbox.connects.removeAll()
                outbox.reconnects.removeAll()
                outbox.wakePending = false
            }
            return Outgoing(bodies: outbox.bodies, frames: outbox.frames, connects: outbox.connects,
                            reconnects: outbox.reconnects, stopping: outbox.stopping)
        }
    }

    fileprivate var isStopping: Bool { outbox.withLock { $0.stopping } }

    fileprivate func finished() {
        close(wakeDescriptor)
        context.shutdown()
        stopped.signal()
    }

    fileprivate var zmqContext: Context { context }
    fileprivate var identity: [UInt8] { routingID }
    fileprivate var log: Logger { logger }
}

/// The state of the mailbox thread: its sockets, and what could not be sent yet.
/// Created for, and touched only by, that thread.
private final class MailboxLoop: @unchecked Sendable {
    // Strong: the thread may outlive the last other reference, and must not read a dead one.
    let mailbox: Mailbox
    let delegate: any MailboxDelegate
    var router: Socket?
    var dealers: [String: Socket] = [:]
    var dealerOrder: [String] = []
    var dealerSecurity: [String: CurveClientSettings] = [:]
    /// How many connections were made to each endpoint (a reconnection gets a new identity).
    var connections: [String: Int] = [:]
    var stalled: [PeerAddress: [UInt8]] = [:]
    var stalledFrames: [(endpoint: String, frames: [[UInt8]])] = []

    init(mailbox: Mailbox, router: consuming Socket?, delegate: any MailboxDelegate) {
        self.mailbox = mailbox
        self.router = router
        self.delegate = delegate
    }

    func run() {
        mailbox.markThread()
        let poller = Poller()
        var stopping = false
        let clock = ContinuousClock()
        var nextTick = clock.now.advanced(by: .milliseconds(Mailbox.tickInterval))
        while !stopping {
            poller.removeAll()
            poller.add(fileDescriptor: mailbox.wakeFD, events: .readable)
            if let router { poller.add(router, events: .readable) }
            for endpoint in dealerOrder { poller.add(dealers[endpoint]!, events: .readable) }
            let timeout = stalled.isEmpty && stalledFrames.isEmpty ? Mailbox.tickInterval : 1
            do {
                _ = try poller.poll(milliseconds: timeout)
            } catch let error as ZMQError where error.isTerminated {
                break
            } catch {
                continue
            }

            var index = 1
            if let router {
                if poller.returnedEvents(at: index).contains(.readable) { drain(router, routed: true, endpoint: nil) }
                index += 1
            }
            for endpoint in dealerOrder {
                if poller.returnedEvents(at: index).contains(.readable), let dealer = dealers[endpoint] {
                    drain(dealer, routed: false, endpoint: endpoint)
                }
                index += 1
            }

            let outgoing = mailbox.takeOutgoing()
            for (endpoint, curve) in outgoing.connects {
                if let curve { dealerSecurity[endpoint] = curve }
                _ = dealer(for: endpoint)
            }
            for endpoint in outgoing.reconnects {
                dealers.removeValue(forKey: endpoint)?.close()
                dealerOrder.removeAll { $0 == endpoint }
                stalledFrames.removeAll { $0.endpoint == endpoint }
                _ = dealer(for: endpoint)
            }
            let waitingFrames = stalledFrames + outgoing.frames
            stalledFrames.removeAll()
            for (endpoint, frames) in waitingFrames { transmit(frames: frames, to: endpoint) }
            for (peer, body) in stalled where outgoing.bodies[peer] == nil {
                transmit(body, to: peer)
            }
            for (peer, writer) in outgoing.bodies {
                if let earlier = stalled[peer] {
                    transmit(earlier + writer.bytes, to: peer)
                } else {
                    transmit(writer.bytes, to: peer)
                }
            }
            stopping = outgoing.stopping || mailbox.isStopping
            let now = clock.now
            if now >= nextTick {
                nextTick = now.advanced(by: .milliseconds(Mailbox.tickInterval))
                delegate.mailboxTick()
            }
        }
        // Flush what the last iteration queued, then close with a short linger.
        let last = mailbox.takeOutgoing()
        for (peer, writer) in last.bodies { transmit(writer.bytes, to: peer) }
        for (endpoint, frames) in stalledFrames + last.frames { transmit(frames: frames, to: endpoint) }
        router?.close()
        for dealer in dealers.values { dealer.close() }
        dealers.removeAll()
        mailbox.finished()
    }

    /// Receives every message waiting on `socket` (up to a fair share) and hands it on.
    private func drain(_ socket: Socket, routed: Bool, endpoint: String?) {
        for _ in 0..<512 {
            let frames: [Message]
            do {
                guard let received = try socket.receiveMultipart(dontWait: true) else { return }
                frames = received
            } catch {
                return
            }
            let peer: PeerAddress
            var first = 0
            if routed {
                guard let identity = frames.first else { continue }
                peer = .routed(identity.bytes)
                first = 1
            } else {
                peer = .connection(endpoint ?? "")
            }
            deliver(frames[first...], from: peer)
        }
    }

    private func deliver(_ frames: ArraySlice<Message>, from peer: PeerAddress) {
        if let first = frames.first, first.withUnsafeBytes({ SupervisorCommand.isSignature($0) }) {
            deliverCommand(frames, from: peer)
            return
        }
        guard frames.count == 2, let signatureFrame = frames.first, let body = frames.last else {
            delegate.mailbox(rejected: WireError(.malformed, "expected 2 frames (signature, body), got \(frames.count)"), from: peer)
            return
        }
        do {
            try signatureFrame.withUnsafeBytes { try Signature.check($0) }
            let envelopes = try body.withUnsafeBytes { try EnvelopeDecoder().decode(body: $0) }
            for envelope in envelopes { delegate.mailbox(received: envelope, from: peer) }
        } catch let error as WireError {
            delegate.mailbox(rejected: error, from: peer)
        } catch {
            delegate.mailbox(rejected: WireError(.malformed, "\(error)"), from: peer)
        }
    }

    /// A Protocol 2 message: signature, header, payload.
    private func deliverCommand(_ frames: ArraySlice<Message>, from peer: PeerAddress) {
        do {
            // The version first: another version of Protocol 2 may have another frame count.
            try frames[frames.startIndex].withUnsafeBytes { try SupervisorCommand.checkSignature($0) }
            guard frames.count == 3, let payload = frames.last else {
                throw WireError(.malformed, "a Protocol 2 message has 3 frames (signature, header, payload), not \(frames.count)")
            }
            let command = try frames[frames.startIndex + 1].withUnsafeBytes { try SupervisorCommand(header: $0) }
            delegate.mailbox(received: command, payload: payload.bytes, from: peer)
        } catch let error as WireError {
            delegate.mailbox(rejected: error, from: peer)
        } catch {
            delegate.mailbox(rejected: WireError(.malformed, "\(error)"), from: peer)
        }
    }

    private func dealer(for endpoint: String) -> Socket? {
        if let existing = dealers[endpoint] { return existing }
        do {
            let socket = try Socket(mailbox.zmqContext, type: .dealer)
            try socket.set(.linger, .milliseconds(200))
            // A new identity for each connection: a supervisor may still hold the last one.
            let attempt = (connections[endpoint] ?? 0) + 1
            connections[endpoint] = attempt
            try socket.set(.routingID, attempt == 1 ? mailbox.identity : mailbox.identity + Array("~\(attempt)".utf8))
            try socket.set(.maxMessageSize, Int64(mailbox.maximumMessageSize + 4096))
            try socket.set(.sendHighWaterMark, 0)
            try socket.set(.receiveHighWaterMark, 0)
            if let curve = dealerSecurity[endpoint] { try curve.apply(to: socket) }
            try socket.connect(endpoint)
            dealers[endpoint] = socket
            dealerOrder.append(endpoint)
            return socket
        } catch {
            mailbox.log.error("cannot connect", metadata: ["troupe.endpoint": "\(endpoint)", "troupe.error": "\(error)"])
            return nil
        }
    }

    /// Sends one Protocol 2 message on the connection to `endpoint`; keeps it for later if the
    /// socket cannot take it now.
    private func transmit(frames: [[UInt8]], to endpoint: String) {
        guard let dealer = dealer(for: endpoint) else { return }
        do {
            guard try dealer.send(frames[0], more: true, dontWait: true) else {
                stalledFrames.append((endpoint, frames))
                return
            }
            for (index, frame) in frames.enumerated().dropFirst() {
                _ = try dealer.send(frame, more: index < frames.count - 1)
            }
        } catch {
            mailbox.log.error("send failed", metadata: ["troupe.endpoint": "\(endpoint)", "troupe.error": "\(error)"])
        }
    }

    /// Sends one batch to `peer`; keeps it for later if the socket cannot take it now.
    private func transmit(_ body: [UInt8], to peer: PeerAddress) {
        stalled[peer] = nil
        do {
            switch peer {
            case .routed(let identity):
                guard let router else { return }
                guard try router.send(identity, more: true, dontWait: true) else {
                    stalled[peer] = body
                    return
                }
                _ = try router.send(Mailbox.signature, more: true)
                _ = try router.send(body)
            case .service, .brokered:
                break
            case .connection(let endpoint):
                guard let dealer = dealer(for: endpoint) else {
                    delegate.mailbox(cannotReach: peer)
                    return
                }
                guard try dealer.send(Mailbox.signature, more: true, dontWait: true) else {
                    stalled[peer] = body
                    return
                }
                _ = try dealer.send(body)
            }
        } catch let error as ZMQError where error.isHostUnreachable {
            delegate.mailbox(cannotReach: peer)
        } catch {
            mailbox.log.error("send failed", metadata: ["troupe.peer": "\(peer)", "troupe.error": "\(error)"])
            delegate.mailbox(cannotReach: peer)
        }
    }
}
