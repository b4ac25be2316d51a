import ArgumentParser
import Troupe

/// `troupe worker`: a node agent.
struct RunWorker: TroupeSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run worker processes of a program on this host for a supervisor, and keep them running.",
        discussion: "The program must call Troupe.bootstrap(workers:) first thing; its processes serve every worker type it lists.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "How many worker processes to run.")
    var processes: Int = 1

    @Option(name: .customLong("probe-timeout"), help: "Seconds the program may take to answer the probe that checks it is a Troupe program.")
    var probeTimeout: Double = 10

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The program to run, and its arguments, after --.", valueName: "PROGRAM [ARGS]"))
    var command: [String] = []

    func validate() throws {
        _ = try connection.resolve(environment: false)
        guard processes >= 1 else { throw ValidationError("--processes must be at least 1") }
        guard probeTimeout > 0 else { throw ValidationError("--probe-timeout must be more than 0 seconds") }
        guard !command.isEmpty else { throw ValidationError("name the program to run after --, e.g. `troupe worker --connect ... -- ./my-program`") }
    }

    func runCommand() async throws {
        let connection = try self.connection.resolve(environment: false)
        _ = try connection.security()
        var keyFiles: (serverKey: String, key: String)? = nil
        if let serverKey = connection.serverKey, let key = connection.key { keyFiles = (serverKey, key) }
        let program = resolveProgram(command[0])
        let agent = NodeAgent(NodeAgent.Configuration(
            supervisor: connection.endpoint, processes: processes, program: program,
            arguments: Array(command.dropFirst()), keyFiles: keyFiles,
            probeTimeout: .milliseconds(Int(probeTimeout * 1000))))
        let code = try await agent.run()
        if code != 0 { throw ExitCode(code) }
    }
}
