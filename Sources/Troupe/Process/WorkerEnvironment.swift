/// What a parent tells a worker process it starts, through the environment: where to connect,
/// the node name to use, and which worker type to serve.
@_spi(Testing)
public struct WorkerEnvironment: Sendable {
    static let endpointVariable = "TROUPE_WORKER_ENDPOINT"
    static let nodeVariable = "TROUPE_WORKER_NODE"
    static let typeVariable = "TROUPE_WORKER_TYPE"
    static let parentPIDVariable = "TROUPE_PARENT_PID"
    static let parentNodeVariable = "TROUPE_PARENT_NODE"
    static let allVariables = [endpointVariable, nodeVariable, typeVariable, parentPIDVariable,
                               parentNodeVariable, CallProgress.pathVariable]

    /// The parent's endpoint.
    public let endpoint: String
    /// This worker's node name.
    public let node: String
    /// The worker type to serve (`Module.Type`).
    public let typeName: String
    /// The pid of the parent, to tie this process's life to it; nil for a remote supervisor.
    let parentPID: Int32?
    /// The parent's node name.
    let parentNode: String
    /// Where the worker records the calls it starts, if the parent made a page for it.
    public var progressPath: String? = nil

    /// The launch this process was started with, or nil when it is not a worker.
    static func fromEnvironment() -> WorkerEnvironment? {
        guard let endpoint = environmentValue(endpointVariable),
              let node = environmentValue(nodeVariable),
              let typeName = environmentValue(typeVariable),
              let parentNode = environmentValue(parentNodeVariable) else { return nil }
        return WorkerEnvironment(endpoint: endpoint, node: node, typeName: typeName,
                            parentPID: environmentValue(parentPIDVariable).flatMap { Int32($0) },
                            parentNode: parentNode, progressPath: environmentValue(CallProgress.pathVariable))
    }

    /// The environment for the worker: the parent's own, without Troupe's variables, plus this launch.
    func environment(inheriting base: [String]) -> [String] {
        var variables = base.filter { entry in
            !WorkerEnvironment.allVariables.contains { entry.hasPrefix($0 + "=") }
        }
        variables.append("\(WorkerEnvironment.endpointVariable)=\(endpoint)")
        variables.append("\(WorkerEnvironment.nodeVariable)=\(node)")
        variables.append("\(WorkerEnvironment.typeVariable)=\(typeName)")
        variables.append("\(WorkerEnvironment.parentNodeVariable)=\(parentNode)")
        if let parentPID { variables.append("\(WorkerEnvironment.parentPIDVariable)=\(parentPID)") }
        if let progressPath { variables.append("\(CallProgress.pathVariable)=\(progressPath)") }
        // Swift's crash backtracer has been seen to hang a crashed multi-threaded worker
        // instead of letting it die; a pool must see a crash at once. Set SWIFT_BACKTRACE
        // yourself to get backtraces from workers.
        if !variables.contains(where: { $0.hasPrefix("SWIFT_BACKTRACE=") }) {
            variables.append("SWIFT_BACKTRACE=enable=no")
        }
        return variables
    }
}
