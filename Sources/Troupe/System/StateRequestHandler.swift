import TroupeWire

/// Serves the STATE operations (Protocol 3) that arrive at a process holding shared state.
protocol StateRequestHandler: Sendable {
    /// Handles one operation; called on the mailbox thread, so it must not block.
    func handle(_ request: Envelope.StateOperation, from peer: PeerAddress, system: TroupeActorSystem)
}
