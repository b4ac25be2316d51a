import TroupeWire

/// How a ``TroupeActorSystem`` reaches other processes: it sends envelopes and raw
/// messages, makes connections, and hands what arrives to its delegate, on the threads of
/// its ``MailboxExecutor``, which also runs the system's tasks.
///
/// ``Mailbox`` is the ZeroMQ implementation; tests use an in-memory one.
@_spi(Testing)
public protocol MessageTransport: AnyObject, Sendable {
    /// The executor that runs the system's tasks between the transport's turns of I/O.
    var executor: MailboxExecutor { get }
    /// The endpoint this transport accepts connections on, if it binds one.
    var boundEndpoint: String? { get }
    /// Starts delivering what arrives to `delegate`.
    func start(delegate: any TransportDelegate)
    /// Queues `envelope` for `peer` (a `.routed` or `.connection` peer); envelopes queued
    /// for the same peer before the next turn leave together, in one message.
    /// - Returns: where the envelope stands in the order this transport sends in: of two
    ///   envelopes for one peer, the one with the lower number arrives first.
    @discardableResult
    func send(_ envelope: Envelope, to peer: PeerAddress) -> UInt64
    /// Queues a message of several frames (Protocol 2) for the connection to `endpoint`.
    func send(frames: [[UInt8]], to endpoint: String)
    /// Queues a Protocol 2 command (its header and payload frames) for the connection to
    /// `endpoint`; with `batched` (the supervisor there agreed to BATCH), commands queued for
    /// it before the next turn may leave together in one message.
    func send(command header: [UInt8], payload: [UInt8], to endpoint: String, batched: Bool)
    /// Connects to `endpoint` ahead of the first message; with `curve`, the connection is
    /// encrypted and authenticated.
    func connect(to endpoint: String, curve: CurveClientSettings?)
    /// Drops the connection to `endpoint` and makes a new one, with a new identity.
    func reconnect(to endpoint: String)
    /// Asks for ticks more often (a pool watching for slow tasks) until the matching
    /// ``endFastTicks()``.
    func beginFastTicks()
    /// Ends one ``beginFastTicks()``.
    func endFastTicks()
    /// Runs `body` on the leader thread once everything `peer` sent has been handed to the
    /// delegate and its connection is gone (at most about 2 s after the call). A pool calls it
    /// when a worker process has exited, so that replies the worker sent just before it died
    /// are read before the pool decides which of its tasks were lost.
    func whenDeparted(_ peer: PeerAddress, _ body: @escaping @Sendable () -> Void)
    /// Sends what is queued, then stops; waits up to 2 s unless called from the transport's
    /// own thread.
    func shutdown()
}

extension MessageTransport {
    /// By default, each command in a message of its own.
    public func send(command header: [UInt8], payload: [UInt8], to endpoint: String, batched: Bool) {
        send(frames: [SupervisorCommand.signature, header, payload], to: endpoint)
    }

    /// By default, `body` runs after the next turn of I/O.
    public func whenDeparted(_ peer: PeerAddress, _ body: @escaping @Sendable () -> Void) {
        executor.afterNextTurn(body)
    }
}

/// Receives what a transport takes in, on the transport's leader thread.
@_spi(Testing)
public protocol TransportDelegate: AnyObject, Sendable {
    /// One envelope from `peer`.
    func transport(received envelope: Envelope, from peer: PeerAddress)
    /// A message from `peer` that is not Protocol 1 (its first frame is another signature).
    func transport(receivedFrames frames: [[UInt8]], from peer: PeerAddress)
    /// A message from `peer` that is not valid protocol.
    func transport(rejected error: WireError, from peer: PeerAddress)
    /// `peer` is not connected: what was queued for it was dropped.
    func transport(cannotReach peer: PeerAddress)
    /// Called about every ``Mailbox/tickInterval`` (more often while ``TroupeActorSystem``
    /// asks for fast ticks): time to check deadlines and heartbeats.
    func transportTick()
}
