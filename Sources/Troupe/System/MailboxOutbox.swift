import Synchronization
import TroupeWire

/// What a mailbox's callers have queued for its sockets since the last turn: envelope
/// batches by peer, Protocol 2 messages, connections to make. Any thread appends; the
/// leader takes everything at once at each turn.
final class MailboxOutbox: Sendable {
    /// What one turn takes.
    struct Batch {
        /// Bodies by peer, in the order they must leave; only the last of each is still open.
        var bodies: [PeerAddress: [EnvelopeWriter]] = [:]
        var frames: [(endpoint: String, frames: [[UInt8]])] = []
        var connects: [(endpoint: String, curve: CurveClientSettings?)] = []
        var reconnects: [String] = []
        var stopping = false
        /// How many envelopes were ever queued (carried from batch to batch).
        var sequence: UInt64 = 0

        var isEmpty: Bool { bodies.isEmpty && frames.isEmpty && connects.isEmpty && reconnects.isEmpty }
    }

    private let pending = Mutex(Batch())
    /// The largest body to build: a batch that would grow past it starts a new body.
    private let bodyLimit: Int

    init(bodyLimit: Int = Int.max) {
        self.bodyLimit = bodyLimit
    }

    /// Adds `envelope` to the batch for `peer`.
    /// - Returns: its number in the order envelopes were queued.
    func append(_ envelope: Envelope, to peer: PeerAddress) -> UInt64 {
        let size = envelope.estimatedSize
        return pending.withLock { pending in
            var writers = pending.bodies.removeValue(forKey: peer) ?? []
            if writers.isEmpty || (writers[writers.count - 1].writer.count + size > bodyLimit && !writers[writers.count - 1].isEmpty) {
                writers.append(EnvelopeWriter())
            }
            writers[writers.count - 1].append(envelope)
            pending.bodies[peer] = writers
            pending.sequence &+= 1
            return pending.sequence
        }
    }

    /// Queues a message of several frames for the connection to `endpoint`.
    func append(frames: [[UInt8]], to endpoint: String) {
        pending.withLock { $0.frames.append((endpoint, frames)) }
    }

    /// Queues a connection to make.
    func connect(to endpoint: String, curve: CurveClientSettings?) {
        pending.withLock { $0.connects.append((endpoint, curve)) }
    }

    /// Queues a connection to drop and make again.
    func reconnect(to endpoint: String) {
        pending.withLock { $0.reconnects.append(endpoint) }
    }

    /// Marks the mailbox as stopping: the turn that sees it sends what is queued and closes.
    func stop() {
        pending.withLock { $0.stopping = true }
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
