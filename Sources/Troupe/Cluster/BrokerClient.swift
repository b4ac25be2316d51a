import TroupeWire

/// A connection to a standalone supervisor for what an operator asks of it: its status, and
/// stopping the deployment. `troupe status` and `troupe stop` use it.
public final class BrokerClient: Sendable {
    /// The supervisor's endpoint.
    public let endpoint: String
    let system: TroupeActorSystem
    let link: BrokerLink

    /// Connects to the supervisor at `endpoint` (the connection is made in the background;
    /// ``status(timeout:)`` tells whether it answers).
    /// - Parameters:
    ///   - endpoint: such as `tcp://10.0.0.5:5555`.
    ///   - security: CURVE keys, or `.insecure` on a trusted network.
    /// - Throws: ``TroupeError`` when this process's mailbox cannot be opened.
    public init(endpoint: String, security: ClientSecurity) throws {
        WorkerLauncher.refuseWithoutBootstrap()
        guard endpoint.contains("://") else {
            throw TroupeError(.invalidArgument, "'\(endpoint)' is not a ZeroMQ endpoint: write tcp://\(endpoint)", context: ["endpoint": endpoint])
        }
        self.endpoint = endpoint
        system = try TroupeActorSystem.local()
        link = system.connectSupervisor(endpoint, role: .client, curve: security.curve)
    }

    /// Asks the supervisor for its status.
    /// - Parameter timeout: how long to wait for the answer.
    /// - Returns: its workers, queue and counters.
    /// - Throws: ``TroupeError`` `.timeout` (or `.workerLost`, when its heartbeats stop
    ///   first) when the supervisor does not answer: it is unreachable, or refuses this
    ///   client's key.
    public func status(timeout: Duration = .seconds(5)) async throws -> BrokerStatus {
        let payload = try await link.ask({ .statusQuery(id: $0) }, system: system, timeout: timeout)
        do {
            return try MessagePackDecoder().decode(BrokerStatus.self, from: payload)
        } catch {
            throw TroupeError(.malformedMessage, "the supervisor's status does not decode: \(error)", context: ["supervisor": endpoint])
        }
    }

    /// Stops the deployment: queued and running work finishes (with `now`, it fails with
    /// `.terminated`), the workers leave, and the supervisor exits.
    /// - Parameters:
    ///   - now: whether to stop at once.
    ///   - timeout: how long to wait for the supervisor to confirm.
    /// - Throws: ``TroupeError`` `.timeout` or `.workerLost` when the supervisor does not
    ///   confirm in time.
    public func stop(now: Bool, timeout: Duration = .seconds(60)) async throws {
        _ = try await link.ask({ .stop(id: $0, now: now) }, system: system, timeout: timeout)
    }
}
