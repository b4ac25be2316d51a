import Logging
import TroupeWire

/// How Protocol 1 envelopes travel through a standalone supervisor: a call to a service
/// leaves as a Protocol 2 REQUEST, a reply to a relayed request as a REPLY; and how the
/// supervisor's Protocol 2 messages are read when they arrive.
enum ClusterFraming {
    /// Sends `envelope` to a peer reached through a supervisor (`.service` or `.brokered`).
    static func send(_ envelope: Envelope, to peer: PeerAddress, over transport: any MessageTransport, links: BrokerLinks,
                     logger: Logger) {
        // Work for a supervisor that has gone silent waits in its link until it answers again.
        if case .service(let endpoint, _) = peer, links.link(for: endpoint)?.holdWhileUnreachable(envelope, to: peer) == true {
            return
        }
        switch peer {
        case .service(let endpoint, let name):
            let batched = links.link(for: endpoint)?.batchesGranted ?? false
            switch envelope {
            case .call(let call):
                var body = EnvelopeWriter()
                body.append(envelope)
                transport.send(command: SupervisorCommand.request(id: call.callID, service: name, flags: 0).header, payload: body.bytes,
                               to: endpoint, batched: batched)
            case .cancel(let callID):
                transport.send(command: SupervisorCommand.cancel(id: callID).header, payload: [], to: endpoint, batched: batched)
            default:
                logger.debug("dropped an envelope that cannot travel to a service", metadata: ["troupe.kind": "\(envelope.kind)"])
            }
        case .brokered(let endpoint, let request):
            var body = EnvelopeWriter()
            body.append(envelope)
            transport.send(command: SupervisorCommand.reply(id: request, final: true).header, payload: body.bytes, to: endpoint,
                           batched: links.link(for: endpoint)?.batchesGranted ?? false)
        case .routed, .connection:
            transport.send(envelope, to: peer)
        }
    }

    /// Reads a Protocol 2 message — the signature, then a header and a payload for each of
    /// its commands (one, or several from a supervisor that agreed to BATCH) — and hands its
    /// commands, in order, to the link to the supervisor it came from.
    static func received(_ frames: [[UInt8]], from peer: PeerAddress, system: TroupeActorSystem) {
        do {
            // The version first: another version of Protocol 2 may have another frame count.
            try frames[0].withUnsafeBytes { try SupervisorCommand.checkSignature($0) }
            guard case .connection(let endpoint) = peer, let link = system.supervisorLinks.link(for: endpoint) else {
                system.transport(rejected: WireError(.unknownKind, "this process is not a supervisor; it takes no Protocol 2 commands"), from: peer)
                return
            }
            // This side offers BATCH on every connection, so it takes several commands at once.
            guard let count = SupervisorCommand.commandCount(frames: frames.count, batches: true) else {
                throw WireError(.malformed, "a Protocol 2 message has a signature and a header and payload frame per command "
                                    + "(at most \(SupervisorCommand.commandLimit)), not \(frames.count) frames")
            }
            // Every header is read before any command is carried out: a bad one rejects the message.
            var commands: [SupervisorCommand] = []
            commands.reserveCapacity(count)
            for index in 0..<count {
                commands.append(try frames[1 + 2 * index].withUnsafeBytes { try SupervisorCommand(header: $0) })
            }
            for (index, command) in commands.enumerated() {
                link.received(command, payload: frames[2 + 2 * index], system: system)
            }
        } catch let error as WireError {
            system.transport(rejected: error, from: peer)
        } catch {
            system.transport(rejected: WireError(.malformed, "\(error)"), from: peer)
        }
    }
}

extension TroupeActorSystem {
    /// Queues a Protocol 2 message for the supervisor at `endpoint`.
    func sendCommand(_ command: SupervisorCommand, payload: [UInt8] = [], to endpoint: String) {
        transport.send(command: command.header, payload: payload, to: endpoint,
                       batched: supervisorLinks.link(for: endpoint)?.batchesGranted ?? false)
    }

    /// Connects to the standalone supervisor at `endpoint` (once; later calls return the
    /// same link).
    func connectSupervisor(_ endpoint: String, role: BrokerLink.Role, curve: CurveClientSettings?) -> BrokerLink {
        let (link, created) = supervisorLinks.link(for: endpoint, role: role)
        if created { link.start(on: self, curve: curve) }
        return link
    }
}
