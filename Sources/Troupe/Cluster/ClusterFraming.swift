import Logging
import TroupeWire

/// How Protocol 1 envelopes travel through a standalone supervisor: a call to a service
/// leaves as a Protocol 2 REQUEST, a reply to a relayed request as a REPLY; and how the
/// supervisor's Protocol 2 messages are read when they arrive.
enum ClusterFraming {
    /// Sends `envelope` to a peer reached through a supervisor (`.service` or `.brokered`).
    static func send(_ envelope: Envelope, to peer: PeerAddress, over transport: any MessageTransport, links: SupervisorLinks,
                     logger: Logger) {
        // Work for a supervisor that has gone silent waits in its link until it answers again.
        if case .service(let endpoint, _) = peer, links.link(for: endpoint)?.holdWhileUnreachable(envelope, to: peer) == true {
            return
        }
        var body = EnvelopeWriter()
        body.append(envelope)
        switch peer {
        case .service(let endpoint, let name):
            switch envelope {
            case .call(let call):
                transport.send(frames: [SupervisorCommand.signature, SupervisorCommand.request(id: call.callID, service: name, flags: 0).header, body.bytes], to: endpoint)
            case .cancel(let callID):
                transport.send(frames: [SupervisorCommand.signature, SupervisorCommand.cancel(id: callID).header, []], to: endpoint)
            default:
                logger.debug("dropped an envelope that cannot travel to a service", metadata: ["troupe.kind": "\(envelope.kind)"])
            }
        case .brokered(let endpoint, let request):
            transport.send(frames: [SupervisorCommand.signature, SupervisorCommand.reply(id: request, final: true).header, body.bytes], to: endpoint)
        case .routed, .connection:
            transport.send(envelope, to: peer)
        }
    }

    /// Reads a Protocol 2 message (signature, header, payload) and hands it to the link to
    /// the supervisor it came from.
    static func received(_ frames: [[UInt8]], from peer: PeerAddress, system: TroupeActorSystem) {
        do {
            // The version first: another version of Protocol 2 may have another frame count.
            try frames[0].withUnsafeBytes { try SupervisorCommand.checkSignature($0) }
            guard frames.count == 3 else {
                throw WireError(.malformed, "a Protocol 2 message has 3 frames (signature, header, payload), not \(frames.count)")
            }
            let command = try frames[1].withUnsafeBytes { try SupervisorCommand(header: $0) }
            guard case .connection(let endpoint) = peer, let link = system.supervisorLinks.link(for: endpoint) else {
                system.transport(rejected: WireError(.unknownKind, "this process is not a supervisor; it takes no Protocol 2 commands"), from: peer)
                return
            }
            link.received(command, payload: frames[2], system: system)
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
        transport.send(frames: [SupervisorCommand.signature, command.header, payload], to: endpoint)
    }

    /// Connects to the standalone supervisor at `endpoint` (once; later calls return the
    /// same link).
    func connectSupervisor(_ endpoint: String, role: SupervisorLink.Role, curve: CurveClientSettings?) -> SupervisorLink {
        let (link, created) = supervisorLinks.link(for: endpoint, role: role)
        if created { link.start(on: self, curve: curve) }
        return link
    }
}
