import TroupeWire

/// What holds the shared state a process owns (Protocol 3): the actor system hands it the
/// STATE operations that arrive, and tells it of processes that died.
protocol StateRequestHandler: Sendable {
    /// Handles one operation that arrived from `peer`; called on the mailbox's thread, so it
    /// must not block.
    func handle(_ request: Envelope.StateOperation, from peer: PeerAddress, system: TroupeActorSystem)
    /// Performs one operation for a proxy in this same process; `reply` is called exactly
    /// once, at once or (for blocking operations) later.
    func perform(_ operation: String, on name: String, arguments: [MessagePackValue], node: String,
                 reply: @escaping @Sendable (Result<MessagePackValue, TroupeError>) -> Void)
    /// Releases every lock held by `node` (its process died) and fails its waits.
    func release(node: String)
}

extension TroupeActorSystem {
    /// The holder of this process's shared state, made by `make` if there is none yet.
    func stateHandler(orMake make: () -> any StateRequestHandler) -> any StateRequestHandler {
        stateHandler.withLock { handler in
            if let handler { return handler }
            let made = make()
            handler = made
            return made
        }
    }
}
