import ArgumentParser
import Troupe

/// `troupe supervisor`: a standalone supervisor.
struct RunSupervisor: TroupeSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor",
        abstract: "Run a standalone supervisor that routes work between clients and workers.",
        discussion: "It runs until `troupe stop`, SIGINT or SIGTERM. Shared state created through it lives in it.")

    @Option(name: .long, help: ArgumentHelp("The endpoint to listen on.", valueName: "tcp://ADDR:PORT"))
    var bind: String

    @Option(name: .long, help: ArgumentHelp("The supervisor's secret key file (.key).", valueName: "file"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("Public keys (.pub) allowed to connect: a file or a directory of them. Repeatable.", valueName: "path"))
    var allow: [String] = []

    @Flag(name: .long, help: "Listen without encryption or authentication (trusted networks only).")
    var insecure = false

    func validate() throws {
        if insecure && (key != nil || !allow.isEmpty) {
            throw ValidationError("--insecure cannot be combined with --key or --allow")
        }
        if !insecure && key == nil {
            let over = bind.hasPrefix("ipc://") ? "over ipc (any local user who can reach the socket could connect)" : "over TCP"
            throw ValidationError("\(over), pass --key and --allow (make keys with `troupe keygen`), or --insecure on a trusted network")
        }
        if key != nil && allow.isEmpty {
            throw ValidationError("--key needs at least one --allow: with an empty allow-list nobody could connect")
        }
    }

    func runCommand() async throws {
        let security: SupervisorConfiguration.Security
        if let key {
            var allowed = Set<String>()
            for path in allow { allowed.formUnion(try KeyFiles.publicKeys(in: path)) }
            security = .curve(server: try KeyFiles.serverSettings(key: key), allowedKeys: allowed)
        } else {
            security = .insecure
        }
        let server: SupervisorServer
        do {
            server = try SupervisorServer(SupervisorConfiguration(bind: bind, security: security))
        } catch {
            throw fail("\(error)")
        }
        let mode = key == nil ? "insecure" : "CURVE"
        print("troupe supervisor listening on \(server.endpoint) (\(mode))")
        StopOnSignal.install { server.stop(now: false) }
        await server.wait()
        print("troupe supervisor stopped")
    }
}
