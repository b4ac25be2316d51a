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

    /// The security the options describe.
    func security() throws -> ClientSecurity {
        if insecure {
            guard serverKey == nil, key == nil else {
                throw ValidationError("--insecure cannot be combined with --server-key or --key")
            }
            return .insecure
        }
        guard let serverKey, let key else {
            if connect.hasPrefix("tcp://") {
                throw ValidationError("over TCP, pass --server-key and --key (make keys with `troupe keygen`), or --insecure on a trusted network")
            }
            return .insecure
        }
        return .curve(try KeyFiles.clientSettings(serverKey: serverKey, key: key))
    }
}

/// Prints `message` on standard error and fails with `code`.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    printToStandardError("troupe: " + message)
    return ExitCode(code)
}
