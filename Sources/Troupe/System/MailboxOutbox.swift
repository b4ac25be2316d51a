import Synchronization
import TroupeWire

/// What a mailbox's callers have queued for its sockets since the last turn: envelope
/// batches by peer, Protocol 2 messages (several commands to one endpoint in one message,
/// where the supervisor agreed to it), connections to make. Any thread appends; the
/// leader takes everything at once at each turn.
final class MailboxOutbox: Sendable {
    /// What one turn takes.
    struct Batch {
        /// Bodies by peer, in the order they must leave; only the last of each is still open.
        var bodies: [PeerAddress: [EnvelopeWriter]] = [:]
        var frames: [(endpoint: String, frames: [[UInt8]])] = []
        /// For each endpoint whose last message in `frames` is a Protocol 2 message that may
        /// take more commands (the supervisor agreed to BATCH): where it is.
        var openBatches: [String: Int] = [:]
        var connects: [(endpoint: String, curve: CurveClientSettings?)] = []
        var reconnects: [String] = []
        /// Peers to watch until their connection is gone, and what to run then.
        var departures: [(peer: PeerAddress, body: @Sendable () -> Void)] = []
        var stopping = false
        /// How many envelopes were ever queued (carried from batch to batch).
        var sequence: UInt64 = 0

        var isEmpty: Bool { bodies.isEmpty && frames.isEmpty && connects.isEmpty && reconnects.isEmpty && departures.isEmpty }
    }

    private let pending = Mutex(Batch())
    /// From this estimated size on, an envelope gets a body of its own.
    static let largeEnvelope = 64 << 10
    /// The largest body to build: a batch that would grow past it starts a new body.
    private let bodyLimit: Int

    init(bodyLimit: Int = Int.max) {
        self.bodyLimit = bodyLimit
    }

    /// Adds `envelope` to the batch for `peer`.
    /// - Returns: its number in the order envelopes were queued.
    func append(_ envelope: Envelope, to peer: PeerAddress) -> UInt64 {
        let size = envelope.estimatedSize
        let bodyLimit = self.bodyLimit
        return pending.withLock { pending in
            // Changed in place, with one lookup of the peer.
            Self.append(envelope, size: size, to: &pending.bodies[peer, default: []], bodyLimit: bodyLimit)
            pending.sequence &+= 1
            return pending.sequence
        }
    }

    private static func append(_ envelope: Envelope, size: Int, to writers: inout [EnvelopeWriter], bodyLimit: Int) {
        // A large envelope travels in a body of its own, made to measure: appending it to a
        // batch would copy the batch as it grows, and keep small ones waiting behind it.
        let large = size >= largeEnvelope
        let lastIsLarge = writers.last.map { $0.writer.count >= largeEnvelope } ?? false
        if writers.isEmpty || large || lastIsLarge || writers[writers.count - 1].writer.count + size > bodyLimit {
            writers.append(EnvelopeWriter(capacity: large ? size : 256))
        }
        writers[writers.count - 1].append(envelope)
    }

    /// Queues a message of several frames for the connection to `endpoint`.
    func append(frames: [[UInt8]], to endpoint: String) {
        pending.withLock { pending in
            // After the batch that was open, in order.
            pending.openBatches[endpoint] = nil
            pending.frames.append((endpoint, frames))
        }
    }

    /// Queues a Protocol 2 command for the connection to `endpoint`: with `batched`, in the
    /// same message as the commands queued for it just before (up to
    /// `SupervisorCommand.commandLimit`), else in a message of its own.
    func append(command header: [UInt8], payload: [UInt8], to endpoint: String, batched: Bool) {
        pending.withLock { pending in
            if batched, let index = pending.openBatches[endpoint],
               pending.frames[index].frames.count < 1 + 2 * SupervisorCommand.commandLimit {
                pending.frames[index].frames.append(header)
                pending.frames[index].frames.append(payload)
                return
            }
            pending.frames.append((endpoint, [SupervisorCommand.signature, header, payload]))
            pending.openBatches[endpoint] = batched ? pending.frames.count - 1 : nil
        }
    }

    /// Queues a connection to make.
    func connect(to endpoint: String, curve: CurveClientSettings?) {
        pending.withLock { $0.connects.append((endpoint, curve)) }
    }

    /// Queues a connection to drop and make again.
    func reconnect(to endpoint: String) {
        pending.withLock { $0.reconnects.append(endpoint) }
    }

    /// Queues a peer to watch until its connection is gone (see `MessageTransport.whenDeparted`).
    func watchDeparture(of peer: PeerAddress, _ body: @escaping @Sendable () -> Void) {
        pending.withLock { $0.departures.append((peer, body)) }
    }

    /// Marks the mailbox as stopping: the turn that sees it sends what is queued and closes.
    func stop() {
        pending.withLock { $0.stopping = true }
    }

    /// Whether anything waits for the next turn (or the stop mark is set).
    var hasQueued: Bool {
        pending.withLock { !$0.isEmpty || $0.stopping }
    }

    /// Takes everything queued (the stop mark stays).
    func take() -> Batch {
        pending.withLock { pending in
            var taken = Batch()
            swap(&taken, &pending)
            pending.stopping = taken.stopping
            pending.sequence = taken.sequence
            return taken
        }
    }
}

extension Envelope {
    /// About how many bytes the envelope takes in a body (its payloads, and room for the rest).
    var estimatedSize: Int {
        switch self {
        case .call(let call): return call.arguments.reduce(64 + call.target.utf8.count) { $0 + $1.count }
        case .return(let reply): return 16 + reply.value.count
        case .throw(let failure): return 64 + failure.message.utf8.count + failure.type.utf8.count + (failure.detail?.count ?? 0)
        case .state(let operation): return operation.arguments.reduce(64 + operation.container.utf8.count) { $0 + $1.count }
        default: return 64
        }
    }
}
