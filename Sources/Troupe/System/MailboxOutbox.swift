import Synchronization
import TroupeWire

/// What a mailbox's callers have queued for its sockets since the last turn: envelope
/// batches by peer, Protocol 2 messages, connections to make. Any thread appends; the
/// leader takes everything at once at each turn.
final class MailboxOutbox: Sendable {
    /// What one turn takes.
    struct Batch {
        var bodies: [PeerAddress: EnvelopeWriter] = [:]
        var frames: [(endpoint: String, frames: [[UInt8]])] = []
        var connects: [(endpoint: String, curve: CurveClientSettings?)] = []
        var reconnects: [String] = []
        var stopping = false
        /// How many envelopes were ever queued (carried from batch to batch).
        var sequence: UInt64 = 0

        var isEmpty: Bool { bodies.isEmpty && frames.isEmpty && connects.isEmpty && reconnects.isEmpty }
    }

    private let pending = Mutex(Batch())

    /// Adds `envelope` to the batch for `peer`.
    /// - Returns: its number in the order envelopes were queued.
    func append(_ envelope: Envelope, to peer: PeerAddress) -> UInt64 {
        pending.withLock { pending in
            pending.bodies[peer, default: EnvelopeWriter()].append(envelope)
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
