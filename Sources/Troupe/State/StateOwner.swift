import Distributed

/// The worker type of a shared-state owner that runs in a process of its own
/// (``Manager/startOwnerProcess(timeout:)``). Every Troupe program can serve it: the
/// bootstrap knows it without being told.
public distributed actor StateOwner: Worker {
    /// Creates the owner in `actorSystem`; a worker process started for it does this.
    /// - Parameter actorSystem: the worker process's actor system.
    public init(actorSystem: ActorSystem) {
        self.actorSystem = actorSystem
    }

    /// The endpoint where the owner accepts connections from workers.
    /// - Returns: an ipc endpoint in the run directory.
    /// - Throws: ``TroupeError`` `.invalidState` when the owner's process binds no endpoint.
    distributed public func endpoint() throws -> String {
        guard let endpoint = actorSystem.endpoint else {
            throw TroupeError(.invalidState, "the owner process accepts no connections")
        }
        return endpoint
    }

    /// Releases the locks and waits of a process that died.
    /// - Parameter node: the node name of the process that died.
    distributed public func release(node: String) {
        actorSystem.stateHandler.withLock { $0 }?.release(node: node)
    }
}
