import ArgumentParser
import TroupeWire

/// `troupe`: run and watch a Troupe deployment across hosts.
@main
struct TroupeCommand: AsyncParsableCommand {
    static func main() async {
        // Lines reach a file or a pipe as they are printed, not when the command exits.
        lineBufferStandardOutput()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "troupe",
        abstract: "Run and watch Troupe worker processes across hosts.",
        discussion: """
            A standalone supervisor routes work by actor type between clients and the worker \
            processes of many hosts. Over TCP, connections are encrypted and authenticated with \
            CURVE keys unless you pass --insecure. A typical deployment:

            1. troupe keygen --out keys/supervisor (and one pair per worker host and client)
            2. troupe supervisor --bind tcp://0.0.0.0:5555 --key keys/supervisor.key --allow keys/
            3. on each worker host: troupe worker --connect tcp://HOST:5555 \
            --server-key keys/supervisor.pub --key keys/host1.key --processes 4 -- ./my-program
            4. troupe status --connect tcp://HOST:5555 --server-key keys/supervisor.pub --key keys/client.key

            Keys in --allow may do everything; --allow-workers, --allow-clients and --allow-stop \
            give each key one role. status and stop read TROUPE_CONNECT, TROUPE_SERVER_KEY and \
            TROUPE_KEY when their options are absent.

            Shell completion: troupe --generate-completion-script bash (or zsh, fish) prints a \
            script; for bash, save it as ~/.local/share/bash-completion/completions/troupe.
            """,
        version: "troupe \(troupeVersion) (protocols 1/ENVELOPE \(Signature.version), 2/SUPERVISION \(SupervisorCommand.signature[3]))",
        subcommands: [RunSupervisor.self, RunWorker.self, Status.self, Stop.self, Keygen.self]
    )
}

/// This release of Troupe.
let troupeVersion = "0.1.0"
