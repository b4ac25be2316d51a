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

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The program to run, and its arguments, after --.", valueName: "PROGRAM [ARGS]"))
    var command: [String] = []

    func validate() throws {
        guard processes >= 1 else { throw ValidationError("--processes must be at least 1") }
        guard !command.isEmpty else { throw ValidationError("name the program to run after --, e.g. `troupe worker --connect ... -- ./my-program`") }
    }

    func runCommand() async throws {
        _ = try connection.security()
        var keyFiles: (serverKey: String, key: String)? = nil
        if let serverKey = connection.serverKey, let key = connection.key { keyFiles = (serverKey, key) }
        let program = resolveProgram(command[0])
        let agent = NodeAgent(NodeAgent.Configuration(
            supervisor: connection.connect, processes: processes, program: program,
            arguments: Array(command.dropFirst()), keyFiles: keyFiles))
        let code = try await agent.run()
        if code != 0 { throw ExitCode(code) }
    }
}
