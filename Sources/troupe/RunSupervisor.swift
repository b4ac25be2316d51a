import ArgumentParser
import Troupe

/// `troupe supervisor`: a standalone supervisor.
struct RunSupervisor: TroupeSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor",
        abstract: "Run a standalone supervisor that routes work between clients and workers.",
        discussion: "It runs until `troupe stop`, SIGINT or SIGTERM. Shared state created through it lives in it.")

    @Option(name: .long, help: ArgumentHelp(
        "The endpoint to listen on: tcp://ADDR:PORT, or ipc://PATH for this host only (the socket is made with mode 0600 and removed at exit).",
        valueName: "endpoint"))
    var bind: String

    @Option(name: .long, help: ArgumentHelp("The supervisor's secret key file (.key).", valueName: "file"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("Keys that may do everything: serve, submit work, stop. \(allowAdvice)", valueName: "folder"))
    var allow: [String] = []

    @Option(name: .customLong("allow-workers"), help: ArgumentHelp("Keys that may serve as workers. \(allowAdvice)", valueName: "folder"))
    var allowWorkers: [String] = []

    @Option(name: .customLong("allow-clients"), help: ArgumentHelp("Keys that may submit work and use shared state. \(allowAdvice)", valueName: "folder"))
    var allowClients: [String] = []

    @Option(name: .customLong("allow-stop"), help: ArgumentHelp("Keys that may also stop the deployment (troupe stop). \(allowAdvice)", valueName: "folder"))
    var allowStop: [String] = []

    /// Every allow-list option with the roles it gives.
    private var allowLists: [(paths: [String], roles: KeyRoles)] {
        [(allow, .all), (allowWorkers, .worker), (allowClients, .client), (allowStop, .stop)]
    }

    @Flag(name: .long, help: "Listen without encryption or authentication (trusted networks only).")
    var insecure = false

    func validate() throws {
        let allowsAny = allowLists.contains { !$0.paths.isEmpty }
        if insecure && (key != nil || allowsAny) {
            throw ValidationError("--insecure cannot be combined with --key or an --allow option")
        }
        if !insecure && key == nil {
            let over = bind.hasPrefix("ipc://") ? "over ipc (any local user who can reach the socket could connect)" : "over TCP"
            throw ValidationError("\(over), pass --key and --allow (make keys with `troupe keygen`), or --insecure on a trusted network")
        }
        if key != nil && !allowsAny {
            throw ValidationError("--key needs at least one --allow, --allow-workers or --allow-clients: with an empty allow-list nobody could connect. \(allowAdvice)")
        }
    }

    func runCommand() async throws {
        let security: SupervisorConfiguration.Security
        if let key {
            var allowList = KeyAllowList()
            for (paths, roles) in allowLists {
                for path in paths { allowList.allow(try KeyFiles.publicKeys(in: path), as: roles) }
            }
            security = .curveWithRoles(server: try KeyFiles.serverSettings(key: key), allowList: allowList)
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
