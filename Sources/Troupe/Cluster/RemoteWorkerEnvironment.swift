/// What a node agent (`troupe worker`) tells the worker processes it starts, through the
/// environment: the supervisor to connect to, the keys, and its own pid.
struct RemoteWorkerEnvironment: Sendable {
    static let supervisorVariable = "TROUPE_SUPERVISOR"
    static let serverKeyFileVariable = "TROUPE_SERVER_KEY_FILE"
    static let keyFileVariable = "TROUPE_KEY_FILE"
    static let agentPIDVariable = "TROUPE_AGENT_PID"
    static let allVariables = [supervisorVariable, serverKeyFileVariable, keyFileVariable, agentPIDVariable]

    /// The supervisor's endpoint.
    let endpoint: String
    /// The supervisor's public key file, for CURVE.
    let serverKeyFile: String?
    /// This worker's secret key file, for CURVE.
    let keyFile: String?
    /// The node agent's pid, to tie this process's life to it.
    let agentPID: Int32?

    /// The launch this process was started with, or nil when it is not a remote worker.
    static func fromEnvironment() -> RemoteWorkerEnvironment? {
        guard let endpoint = environmentValue(supervisorVariable) else { return nil }
        return RemoteWorkerEnvironment(endpoint: endpoint,
                                  serverKeyFile: environmentValue(serverKeyFileVariable),
                                  keyFile: environmentValue(keyFileVariable),
                                  agentPID: environmentValue(agentPIDVariable).flatMap { Int32($0) })
    }

    /// The environment for such a worker: the agent's own plus this launch.
    func environment(inheriting base: [String]) -> [String] {
        var variables = base.filter { entry in
            !(RemoteWorkerEnvironment.allVariables + WorkerEnvironment.allVariables).contains { entry.hasPrefix($0 + "=") }
        }
        variables.append("\(Self.supervisorVariable)=\(endpoint)")
        if let serverKeyFile { variables.append("\(Self.serverKeyFileVariable)=\(serverKeyFile)") }
        if let keyFile { variables.append("\(Self.keyFileVariable)=\(keyFile)") }
        if let agentPID { variables.append("\(Self.agentPIDVariable)=\(agentPID)") }
        if !variables.contains(where: { $0.hasPrefix("SWIFT_BACKTRACE=") }) {
            variables.append("SWIFT_BACKTRACE=enable=no")
        }
        return variables
    }

    /// The CURVE settings from the key files, or nil when the connection is insecure.
    func curveSettings() throws -> CurveClientSettings? {
        guard let serverKeyFile else { return nil }
        guard let keyFile else {
            throw TroupeError(.invalidArgument, "a server key was given but no key of this worker (\(Self.keyFileVariable))")
        }
        return try KeyFiles.clientSettings(serverKey: serverKeyFile, key: keyFile)
    }
}
