import ArgumentParser
import Troupe
import TroupeDashboard

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

    @Option(name: .long, help: ArgumentHelp("Serve a live, read-only dashboard in the browser at this address (loopback unless --dashboard-public).", valueName: "HOST:PORT"))
    var dashboard: String?

    @Flag(name: .long, help: "Let --dashboard listen on an address other hosts can reach (it has no authentication).")
    var dashboardPublic = false

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics (loopback unless --metrics-public).", valueName: "HOST:PORT"))
    var metrics: String?

    @Flag(name: .long, help: "Let --metrics listen on an address other hosts can reach (it has no authentication).")
    var metricsPublic = false

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
        try Self.validateHTTP(dashboard, option: "--dashboard", publicFlag: "--dashboard-public", isPublic: dashboardPublic)
        try Self.validateHTTP(metrics, option: "--metrics", publicFlag: "--metrics-public", isPublic: metricsPublic)
    }

    /// Checks an HTTP address option: HOST:PORT, on loopback unless its public flag is given.
    private static func validateHTTP(_ value: String?, option: String, publicFlag: String, isPublic: Bool) throws {
        guard let value else {
            if isPublic { throw ValidationError("\(publicFlag) goes with \(option) HOST:PORT") }
            return
        }
        let address: HTTPAddress
        do {
            address = try HTTPAddress(value)
        } catch let error as TroupeError {
            throw ValidationError("\(option): \(error.message)")
        }
        if !address.isLoopback && !isPublic {
            throw ValidationError("\(option) \(value) can be reached from other hosts, and it has no authentication: "
                                  + "use 127.0.0.1:\(address.port) (and an SSH tunnel), or add \(publicFlag)")
        }
    }

    func runCommand() async throws {
        let security: BrokerConfiguration.Security
        if let key {
            var allowList = KeyAllowList()
            for (paths, roles) in allowLists {
                for path in paths { allowList.allow(try KeyFiles.publicKeys(in: path), as: roles) }
            }
            security = .curveWithRoles(server: try KeyFiles.serverSettings(key: key), allowList: allowList)
        } else {
            security = .insecure
        }
        // Before the supervisor exists: its metrics are made with it.
        let registry = metrics == nil ? nil : BrokerWebServices.bootstrapMetrics()
        let server: BrokerServer
        do {
            server = try BrokerServer(BrokerConfiguration(bind: bind, security: security))
        } catch {
            throw fail("\(error)")
        }
        let mode = key == nil ? "insecure" : "CURVE"
        print("troupe supervisor listening on \(server.endpoint) (\(mode))")
        StopOnSignal.install { server.stop(now: false) }
        var web: BrokerWebServices? = nil
        if dashboard != nil || metrics != nil {
            do {
                web = try await BrokerWebServices(
                    supervisor: server, dashboard: try dashboard.map { try HTTPAddress($0) }, dashboardPublic: dashboardPublic,
                    metrics: try metrics.map { (try HTTPAddress($0), registry!) }, metricsPublic: metricsPublic)
            } catch {
                server.stop(now: true)
                await server.wait()
                throw error
            }
        }
        await server.wait()
        await web?.stop()
        print("troupe supervisor stopped")
    }
}
