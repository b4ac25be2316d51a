import TroupePlatform
import ArgumentParser
import Troupe

/// How the commands that talk to a supervisor reach it.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The supervisor's endpoint (status and stop: else $TROUPE_CONNECT).", valueName: "tcp://HOST:PORT"))
    var connect: String?

    @Option(name: .customLong("server-key"), help: ArgumentHelp("The supervisor's public key file (.pub) (status and stop: else $TROUPE_SERVER_KEY).", valueName: "file"))
    var serverKey: String?

    @Option(name: .long, help: ArgumentHelp("This node's secret key file (.key), in the supervisor's allow-list (status and stop: else $TROUPE_KEY).", valueName: "file"))
    var key: String?

    @Flag(name: .long, help: "Connect without encryption or authentication (trusted networks only).")
    var insecure = false

    /// Where and how to connect, after the flags and (for status and stop) the environment.
    struct Resolved {
        var endpoint: String
        var serverKey: String?
        var key: String?
        var insecure: Bool

        /// The security the options describe.
        func security() throws -> ClientSecurity {
            guard !insecure, let serverKey, let key else { return .insecure }
            return .curve(try KeyFiles.clientSettings(serverKey: serverKey, key: key))
        }
    }

    /// The options, each flag that is absent taken from its environment variable when
    /// `environment` is true (`TROUPE_CONNECT`, `TROUPE_SERVER_KEY`, `TROUPE_KEY`), checked.
    /// - Throws: `ValidationError` when they do not describe a connection.
    func resolve(environment: Bool) throws -> Resolved {
        func variable(_ name: String) -> String? {
            guard environment, let value = getenv(name) else { return nil }
            let text = String(cString: value)
            return text.isEmpty ? nil : text
        }
        guard let endpoint = connect ?? variable("TROUPE_CONNECT") else {
            throw ValidationError(environment
                ? "pass --connect tcp://HOST:PORT, or set TROUPE_CONNECT"
                : "pass --connect tcp://HOST:PORT")
        }
        let resolved = Resolved(endpoint: endpoint, serverKey: serverKey ?? (insecure ? nil : variable("TROUPE_SERVER_KEY")),
                                key: key ?? (insecure ? nil : variable("TROUPE_KEY")), insecure: insecure)
        if insecure && (serverKey != nil || key != nil) {
            throw ValidationError("--insecure cannot be combined with --server-key or --key")
        }
        if !insecure && (resolved.serverKey == nil) != (resolved.key == nil) {
            throw ValidationError("pass both --server-key (the supervisor's .pub) and --key (this node's .key, made with `troupe keygen`), or --insecure on a trusted network")
        }
        if !insecure && resolved.serverKey == nil && !endpoint.hasPrefix("inproc://") {
            throw ValidationError("over TCP or ipc, pass --server-key and --key (make keys with `troupe keygen`), or --insecure on a trusted network")
        }
        return resolved
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
