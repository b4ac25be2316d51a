import ArgumentParser
import Troupe

/// How the commands that talk to a supervisor reach it.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The supervisor's endpoint.", valueName: "tcp://HOST:PORT"))
    var connect: String

    @Option(name: .customLong("server-key"), help: ArgumentHelp("The supervisor's public key file (.pub).", valueName: "file"))
    var serverKey: String?

    @Option(name: .long, help: ArgumentHelp("This node's secret key file (.key), in the supervisor's allow-list.", valueName: "file"))
    var key: String?

    @Flag(name: .long, help: "Connect without encryption or authentication (trusted networks only).")
    var insecure = false

    func validate() throws {
        if insecure && (serverKey != nil || key != nil) {
            throw ValidationError("--insecure cannot be combined with --server-key or --key")
        }
        if !insecure && (serverKey == nil) != (key == nil) {
            throw ValidationError("pass both --server-key (the supervisor's .pub) and --key (this node's .key, made with `troupe keygen`), or --insecure on a trusted network")
        }
        if !insecure && serverKey == nil && connect.hasPrefix("tcp://") {
            throw ValidationError("over TCP, pass --server-key and --key (make keys with `troupe keygen`), or --insecure on a trusted network")
        }
    }

    /// The security the options describe (they are validated).
    func security() throws -> ClientSecurity {
        guard !insecure, let serverKey, let key else { return .insecure }
        return .curve(try KeyFiles.clientSettings(serverKey: serverKey, key: key))
    }
}

/// Prints `message` on standard error and fails with `code`.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    printToStandardError("troupe: " + message)
    return ExitCode(code)
}

/// A subcommand whose ``TroupeError``s end it with a one-line `troupe: ...` message and
/// exit code 1, like every other failure of the CLI.
protocol TroupeSubcommand: AsyncParsableCommand {
    /// The command's work.
    func runCommand() async throws
}

extension TroupeSubcommand {
    func run() async throws {
        do {
            try await runCommand()
        } catch let error as TroupeError {
            throw fail(error.message)
        }
    }
}

/// The one advice for an allow-list folder, in every option's help and in the docs.
let allowAdvice = "A folder of .pub files, one per node (copy each node's .pub there; its .key never leaves the node), or one .pub file. Repeatable."
