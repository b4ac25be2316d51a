/// How a standalone supervisor (``BrokerServer``) is reached and secured.
public struct BrokerConfiguration: Sendable {
    /// Who may connect.
    public enum Security: Sendable {
        /// CURVE encryption; only the listed public keys are admitted (the rest get nothing,
        /// and the attempt is logged), and each may do everything: serve, submit work, stop.
        /// ``curveWithRoles(server:allowList:)`` says which key may do what.
        case curve(server: CurveServerSettings, allowedKeys: Set<String>)
        /// CURVE encryption; only the keys of `allowList` are admitted, each with its roles:
        /// a key without ``KeyRoles/worker`` cannot serve, one without ``KeyRoles/client``
        /// cannot submit work, one without ``KeyRoles/stop`` cannot stop the deployment.
        case curveWithRoles(server: CurveServerSettings, allowList: KeyAllowList)
        /// No encryption and no authentication: only for a trusted network, by explicit choice.
        case insecure

        /// The supervisor's key pair, with CURVE.
        var server: CurveServerSettings? {
            switch self {
            case .curve(let server, _), .curveWithRoles(let server, _): return server
            case .insecure: return nil
            }
        }

        /// Who is admitted, and with what roles; nil when everybody is (insecure).
        var allowList: KeyAllowList? {
            switch self {
            case .curve(_, let keys): return KeyAllowList(everything: keys)
            case .curveWithRoles(_, let allowList): return allowList
            case .insecure: return nil
            }
        }
    }

    /// The endpoint to bind, such as `tcp://0.0.0.0:5555`.
    public var bind: String
    /// Who may connect.
    public var security: Security
    /// How often heartbeats are sent (`TROUPE_HEARTBEAT_MS` by default, else 1 s).
    public var heartbeatInterval: Duration
    /// How many heartbeats may be missed before a worker is declared lost.
    public var liveness: Int
    /// How many more times a request marked retryable may run after its worker was lost.
    public var maxRetries: Int
    /// The most requests one worker may hold at once, whatever credit it asks for (CREDIT).
    public var maxCredit: Int = 256
    /// When a worker's current request has run this long, the requests waiting behind it
    /// are taken back for another worker that would start them sooner (see
    /// `Protocols/2-supervision.md`, "Routing").
    public var slowRequestLimit: Duration = .milliseconds(10)

    /// Creates a configuration.
    /// - Parameters:
    ///   - bind: the endpoint to bind, such as `tcp://0.0.0.0:5555`.
    ///   - security: CURVE with an allow-list, or `.insecure`.
    ///   - heartbeatInterval: how often heartbeats are sent; by default `TROUPE_HEARTBEAT_MS`,
    ///     else 1 second.
    ///   - liveness: how many heartbeats may be missed before a worker is declared lost; by
    ///     default `TROUPE_LIVENESS`, else 3.
    ///   - maxRetries: how many more times a retryable request may run after its worker was lost.
    public init(bind: String, security: Security, heartbeatInterval: Duration? = nil, liveness: Int? = nil, maxRetries: Int = 2) {
        let defaults = BrokerLink.Liveness.fromEnvironment
        self.bind = bind
        self.security = security
        self.heartbeatInterval = heartbeatInterval ?? defaults.interval
        self.liveness = liveness ?? defaults.missed
        self.maxRetries = maxRetries
    }
}
