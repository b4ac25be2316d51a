import TroupePlatform
import Logging
import TroupeWire
import ZeroMQ

/// The sockets of a ``Mailbox`` and what could not be sent yet: the I/O its executor's
/// leader thread does between jobs. Only the leader touches it.
final class MailboxSockets: MailboxDriver {
    let boundEndpoint: String?
    var delegate: (any TransportDelegate)?
    /// The tick interval to use now, in milliseconds.
    var tickInterval: () -> Int = { Mailbox.tickInterval }
    /// Called once a turn's wait for input is over, before what arrived is handed on.
    var waitEnded: () -> Void = {}

    private let context: Context
    private let routingID: [UInt8]
    private let maximumMessageSize: Int
    /// Refuses, with `tooLarge`, a body larger than the payload limit and its envelope.
    private let bodyDecoder: EnvelopeDecoder
    private let logger: Logger
    private let outbox: MailboxOutbox
    private let wakeDescriptor: Int32
    private var router: Socket?
    private var dealers: [String: Socket] = [:]
    private var dealerOrder: [String] = []
    private var dealerSecurity: [String: CurveClientSettings] = [:]
    /// How many connections were made to each endpoint (a reconnection gets a new identity).
    private var connections: [String: Int] = [:]
    /// Bodies that could not leave yet, by peer, in order.
    private var stalled: [PeerAddress: [[UInt8]]] = [:]
    private var stalledFrames: [(endpoint: String, frames: [[UInt8]])] = []
    /// Peers that left (their process exited), watched until the router has handed on all
    /// they sent: what to run then, and when to run it anyway.
    private var departures: [(peer: PeerAddress, body: @Sendable () -> Void, deadline: ContinuousClock.Instant)] = []
    private let poller = Poller()
    private let clock = ContinuousClock()
    private var nextTick: ContinuousClock.Instant
    private var closed = false
    /// Set while a socket may hold more than the last turn read (it stopped at its limit).
    private var readBacklog = false

    init(routingID: [UInt8], bind: String?, security: CurveServerSettings?, maximumMessageSize: Int,
         logger: Logger, outbox: MailboxOutbox, wakeDescriptor: Int32) throws {
        self.routingID = routingID
        self.maximumMessageSize = maximumMessageSize
        bodyDecoder = EnvelopeDecoder(maximumBodySize: maximumMessageSize + TroupeActorSystem.envelopeAllowance)
        self.logger = logger
        self.outbox = outbox
        self.wakeDescriptor = wakeDescriptor
        nextTick = ContinuousClock.now.advanced(by: .milliseconds(Mailbox.tickInterval))
        do {
            context = try Context(ioThreads: 1)
            if let bind {
                let socket = try SocketSetup.messageSocket(context, type: .router, maximumMessageSize: maximumMessageSize)
                try socket.set(.routerMandatory, true)
                if let security { try security.apply(to: socket) }
                try socket.bind(bind)
                boundEndpoint = try socket.lastEndpoint ?? bind
                router = socket
            } else {
                boundEndpoint = nil
                router = nil
            }
        } catch let error as ZMQError {
            throw TroupeError(.system, "cannot open the mailbox\(bind.map { " on \($0)" } ?? ""): \(error)",
                              context: bind.map { ["endpoint": $0] } ?? [:])
        }
    }

    // MARK: One turn

    func turn(waitMilliseconds: Int) -> Bool {
        take(waitMilliseconds: waitMilliseconds, readingWakeups: true)
    }

    func guestTurn() -> Bool {
        take(waitMilliseconds: 0, readingWakeups: false)
    }

    /// The sockets' `ZMQ_FD`s, which a guest waits on between its turns. libzmq signals
    /// them by edge: a turn reads every socket until it has nothing more (or says there is
    /// more to do at once, with a timeout of 0), so a wait on them misses nothing.
    func waitSet() -> MailboxWaitSet? {
        if closed { return nil }
        var descriptors: [Int32] = []
        descriptors.reserveCapacity(dealerOrder.count + 1)
        if let router, let descriptor = try? router.fileDescriptor { descriptors.append(descriptor) }
        for endpoint in dealerOrder {
            if let descriptor = try? dealers[endpoint]?.fileDescriptor { descriptors.append(descriptor) }
        }
        var timeout = waitTimeout(-1)
        if readBacklog || outbox.hasQueued { timeout = 0 }
        return MailboxWaitSet(descriptors: descriptors, timeoutMilliseconds: timeout)
    }

    /// How long a turn waits for input: `waitMilliseconds`, or until the next tick for -1,
    /// and briefly while sends are stalled or departures watched.
    private func waitTimeout(_ waitMilliseconds: Int) -> Int {
        let interval = tickInterval()
        let untilTick = max(0, Int(clock.now.duration(to: nextTick).wholeMilliseconds))
        var timeout = waitMilliseconds < 0 ? min(untilTick, interval) : waitMilliseconds
        if !stalled.isEmpty || !stalledFrames.isEmpty || !departures.isEmpty { timeout = min(timeout, 1) }
        return timeout
    }

    private func take(waitMilliseconds: Int, readingWakeups: Bool) -> Bool {
        if closed { return false }
        let batch = outbox.take()
        send(batch)
        if batch.stopping {
            close()
            return false
        }
        poll(milliseconds: waitTimeout(waitMilliseconds), readingWakeups: readingWakeups)
        if !departures.isEmpty { checkDepartures() }
        let now = clock.now
        if now >= nextTick {
            nextTick = now.advanced(by: .milliseconds(tickInterval()))
            delegate?.transportTick()
        }
        return true
    }

    /// Sends one turn's batch: connections first, then stalled and new messages.
    private func send(_ batch: MailboxOutbox.Batch) {
        let watchLimit = clock.now.advanced(by: .seconds(2))
        for (peer, body) in batch.departures { departures.append((peer, body, watchLimit)) }
        for (endpoint, curve) in batch.connects {
            if let curve { dealerSecurity[endpoint] = curve }
            _ = dealer(for: endpoint)
        }
        for endpoint in batch.reconnects {
            dealers.removeValue(forKey: endpoint)?.close()
            dealerOrder.removeAll { $0 == endpoint }
            stalledFrames.removeAll { $0.endpoint == endpoint }
            _ = dealer(for: endpoint)
        }
        if !stalledFrames.isEmpty || !batch.frames.isEmpty {
            let waitingFrames = stalledFrames + batch.frames
            stalledFrames.removeAll()
            for (endpoint, frames) in waitingFrames { transmit(frames: frames, to: endpoint) }
        }
        var waiting = stalled
        stalled.removeAll()
        for (peer, writers) in batch.bodies { waiting[peer, default: []].append(contentsOf: writers.map(\.bytes)) }
        for (peer, bodies) in waiting {
            // In order; once one stalls, it and the ones after it wait for the next turn.
            for (index, body) in bodies.enumerated() where !transmit(body, to: peer) {
                stalled[peer] = Array(bodies[index...])
                break
            }
        }
    }

    /// Waits for input and hands on everything that arrived.
    /// - Parameter readingWakeups: whether to wait on, and read, the executor's wake-up
    ///   descriptor (a guest's turn leaves it to the leader).
    private func poll(milliseconds: Int, readingWakeups: Bool) {
        poller.removeAll()
        if readingWakeups { poller.add(fileDescriptor: wakeDescriptor, events: .readable) }
        if let router { poller.add(router, events: .readable) }
        for endpoint in dealerOrder { poller.add(dealers[endpoint]!, events: .readable) }
        do {
            _ = try poller.poll(milliseconds: milliseconds)
        } catch {
            return
        }
        readBacklog = false
        var index = 0
        if readingWakeups {
            waitEnded()
            if poller.returnedEvents(at: 0).contains(.readable) {
                var count: UInt64 = 0
                _ = read(wakeDescriptor, &count, 8)
            }
            index = 1
        }
        if let router {
            if poller.returnedEvents(at: index).contains(.readable) { drain(router, endpoint: nil) }
            index += 1
        }
        for endpoint in dealerOrder {
            if poller.returnedEvents(at: index).contains(.readable), let dealer = dealers[endpoint] {
                drain(dealer, endpoint: endpoint)
            }
            index += 1
        }
    }

    func flush() {
        if closed { return }
        send(outbox.take())
    }

    /// Sends what is queued now and closes the sockets (the process is about to leave).
    func flushAndClose() {
        if closed { return }
        send(outbox.take())
        close()
    }

    private func close() {
        guard !closed else { return }
        closed = true
        // What could not be sent yet gets one more chance, then the sockets close with a short linger.
        send(MailboxOutbox.Batch())
        router?.close()
        router = nil
        for dealer in dealers.values { dealer.close() }
        dealers.removeAll()
        dealerOrder.removeAll()
        context.shutdown()
    }

    // MARK: Departures

    /// Runs the watches whose peer is gone. libzmq keeps a dead peer's pipe on the router
    /// until every message in it has been received, so a send to its identity fails as
    /// unreachable only once all it sent has been read and handed on. The probe itself is an
    /// empty message to a process that has exited, which nobody reads.
    private func checkDepartures() {
        let now = clock.now
        departures.removeAll { departure in
            guard now < departure.deadline, case .routed(let identity) = departure.peer, let router else {
                departure.body()
                return true
            }
            do {
                if try router.send(identity, more: true, dontWait: true) { _ = try router.send([UInt8]()) }
                return false
            } catch let error as ZMQError where error.isHostUnreachable {
                departure.body()
                return true
            } catch {
                departure.body()
                return true
            }
        }
    }

    // MARK: Receiving

    /// Receives every message waiting on `socket` (up to a fair share) and hands it on.
    private func drain(_ socket: Socket, endpoint: String?) {
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
            if let endpoint {
                peer = .connection(endpoint)
            } else {
                guard let identity = frames.first else { continue }
                peer = .routed(identity.bytes)
                first = 1
            }
            deliver(frames[first...], from: peer)
        }
        // Stopped at the limit: there may be more, which the socket's descriptor will not signal.
        readBacklog = true
    }

    private func deliver(_ frames: ArraySlice<Message>, from peer: PeerAddress) {
        guard let delegate else { return }
        guard let signatureFrame = frames.first else {
            delegate.transport(rejected: WireError(.malformed, "an empty message"), from: peer)
            return
        }
        // Protocol 2 (from a standalone supervisor) is the cluster code's to read.
        if signatureFrame.withUnsafeBytes({ SupervisorCommand.isSignature($0) }) {
            delegate.transport(receivedFrames: frames.map(\.bytes), from: peer)
            return
        }
        do {
            // The signature first (badSignature, unsupportedVersion), then the frame count.
            try signatureFrame.withUnsafeBytes { try Signature.check($0) }
            guard frames.count == 2, let body = frames.last else {
                throw WireError(.malformed, "expected 2 frames (signature, body), got \(frames.count)")
            }
            let envelopes = try body.withUnsafeBytes { try bodyDecoder.decode(body: $0) }
            for envelope in envelopes { delegate.transport(received: envelope, from: peer) }
        } catch let error as WireError {
            delegate.transport(rejected: error, from: peer)
        } catch {
            delegate.transport(rejected: WireError(.malformed, "\(error)"), from: peer)
        }
    }

    // MARK: Sending

    private func dealer(for endpoint: String) -> Socket? {
        if let existing = dealers[endpoint] { return existing }
        do {
            let socket = try SocketSetup.messageSocket(context, type: .dealer, maximumMessageSize: maximumMessageSize)
            // A new identity for each connection: a supervisor may still hold the last one.
            let attempt = (connections[endpoint] ?? 0) + 1
            connections[endpoint] = attempt
            try socket.set(.routingID, attempt == 1 ? routingID : routingID + Array("~\(attempt)".utf8))
            if let curve = dealerSecurity[endpoint] { try curve.apply(to: socket) }
            try socket.connect(endpoint)
            dealers[endpoint] = socket
            dealerOrder.append(endpoint)
            return socket
        } catch {
            logger.error("cannot connect", metadata: ["troupe.endpoint": "\(endpoint)", "troupe.error": "\(error)"])
            return nil
        }
    }

    /// Sends one message of several frames on the connection to `endpoint`; keeps it for
    /// later if the socket cannot take it now.
    private func transmit(frames: [[UInt8]], to endpoint: String) {
        guard let dealer = dealer(for: endpoint) else { return }
        do {
            guard try dealer.send(frames[0], more: frames.count > 1, dontWait: true) else {
                stalledFrames.append((endpoint, frames))
                return
            }
            for (index, frame) in frames.enumerated().dropFirst() {
                _ = try dealer.send(frame, more: index < frames.count - 1)
            }
        } catch {
            logger.error("send failed", metadata: ["troupe.endpoint": "\(endpoint)", "troupe.error": "\(error)"])
        }
    }

    /// Bodies from this size on are handed to libzmq without a copy.
    static let handOverSize = 64 << 10

    /// Sends the last frame of a message: a large body from its own storage.
    private func send(_ body: [UInt8], on socket: Socket) throws {
        if body.count >= Self.handOverSize {
            _ = try socket.send(handingOver: body)
        } else {
            _ = try socket.send(body)
        }
    }

    /// Sends one body to `peer`.
    /// - Returns: false when the socket cannot take it now (it must wait for the next turn).
    @discardableResult
    private func transmit(_ body: [UInt8], to peer: PeerAddress) -> Bool {
        do {
            switch peer {
            case .routed(let identity):
                guard let router else { return true }
                guard try router.send(identity, more: true, dontWait: true) else { return false }
                _ = try router.send(Mailbox.signature, more: true)
                try send(body, on: router)
            case .connection(let endpoint):
                guard let dealer = dealer(for: endpoint) else {
                    delegate?.transport(cannotReach: peer)
                    return true
                }
                guard try dealer.send(Mailbox.signature, more: true, dontWait: true) else { return false }
                try send(body, on: dealer)
            case .service, .brokered:
                // Framed as Protocol 2 by the actor system before it reaches the mailbox.
                logger.debug("dropped a batch for a peer reached through a supervisor", metadata: ["troupe.peer": "\(peer)"])
            }
        } catch let error as ZMQError where error.isHostUnreachable {
            delegate?.transport(cannotReach: peer)
        } catch {
            logger.error("send failed", metadata: ["troupe.peer": "\(peer)", "troupe.error": "\(error)"])
            delegate?.transport(cannotReach: peer)
        }
        return true
    }
}
