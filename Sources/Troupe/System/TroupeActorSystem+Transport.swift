import TroupeWire

@_spi(Testing)
extension TroupeActorSystem: TransportDelegate {
    public func transport(received envelope: Envelope, from peer: PeerAddress) {
        switch envelope {
        case .call(let call):
            incoming.dispatch(call, from: peer, system: self)
        case .return(let reply):
            completed(reply.callID, from: peer, with: .success(reply.value), kind: "RETURN")
        case .throw(let failure):
            if failure.code == .withdrawn {
                withdrawn(failure.callID, from: peer)
            } else {
                completed(failure.callID, from: peer, with: .failure(failure.troupeError), kind: "THROW")
            }
        case .cancel(let callID):
            incoming.cancel(callID: callID, from: peer, system: self)
        case .withdraw(let callIDs):
            incoming.withdraw(callIDs, from: peer, system: self)
        case .state(let request):
            if let handler = stateHandler.withLock({ $0 }) {
                handler.handle(request, from: peer, system: self)
            } else {
                send(.throw(Envelope.Throw(
                    failure: TroupeError(.unknownContainer, "node \(node) holds no shared state"),
                    callID: request.callID)), to: peer)
            }
        case .ready(let ready):
            arrivals.received(ready, from: peer)
        case .disconnect(let reason):
            received(disconnect: reason, from: peer)
        case .heartbeat, .goodbye:
            break
        case .reject(let rejection):
            counters.rejectedByPeer.add(1, ordering: .relaxed)
            logger.warning("peer rejected a message", metadata: ["troupe.code": "\(rejection.code)", "troupe.reason": "\(rejection.message)"])
        }
    }

    /// Ends a call with a reply, if the reply came from the peer that holds it.
    private func completed(_ callID: UInt64, from peer: PeerAddress, with outcome: PendingCalls.Outcome, kind: String) {
        switch calls.complete(callID, from: peer, with: outcome) {
        case .completed:
            break
        case .unknown:
            counters.unknownReplies.add(1, ordering: .relaxed)
            logger.debug("reply for an unknown call", metadata: ["troupe.kind": "\(kind)"])
        case .wrongPeer:
            counters.forgedReplies.add(1, ordering: .relaxed)
            logger.warning("ignored a reply from a peer that does not hold the call",
                           metadata: ["troupe.kind": "\(kind)", "troupe.peer": "\(peer)"])
        }
    }

    /// A worker gave back a call that had not started: its pool sends it elsewhere.
    private func withdrawn(_ callID: UInt64, from peer: PeerAddress) {
        guard calls.peer(of: callID) == peer, let owner = calls.owner(of: callID), calls.park(callID) else {
            counters.unknownReplies.add(1, ordering: .relaxed)
            return
        }
        lanes.router(for: owner.pool)?.callParked(callID, owner: owner)
    }

    public func transport(receivedFrames frames: [[UInt8]], from peer: PeerAddress) {
        ClusterFraming.received(frames, from: peer, system: self)
    }

    public func transport(rejected error: WireError, from peer: PeerAddress) {
        counters.malformedMessages.add(1, ordering: .relaxed)
        // A flood of garbage gets a few answers and a few log lines per tick, not one each.
        guard counters.rejectsThisTick.add(1, ordering: .relaxed).newValue <= 8 else { return }
        logger.warning("rejected a malformed message", metadata: ["troupe.error": "\(error.code)"])
        send(.reject(Envelope.Reject(error)), to: peer)
    }

    public func transportTick() {
        counters.rejectsThisTick.store(0, ordering: .relaxed)
        checkParent()
        let now = ContinuousClock.now
        calls.expire(now: now)
        supervisorLinks.tick(now: now, system: self)
        lanes.tick(now: now)
    }

    public func transport(cannotReach peer: PeerAddress) {
        let error = TroupeError(.unknownPeer, "\(peer) is not connected (its process has exited or disconnected)")
        guard case .routed = peer else {
            peerLost(peer, error: error)
            return
        }
        // A local child that vanished: its exit, reported in a moment with its status, fails
        // its calls with a truer error. Meanwhile nothing more is sent to it; if no exit is
        // reported (not our child), its calls fail after a grace period.
        guard routes.markUnreachable(peer) else { return }
        Task {
            try? await Task.sleep(for: .seconds(2))
            self.peerLost(peer, error: error)
        }
    }
}
