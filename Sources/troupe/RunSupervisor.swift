import ArgumentParser
import Troupe
import TroupeDashboard

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

    @Option(name: .long, help: ArgumentHelp("Serve a live, read-only dashboard in the browser at this address (loopback unless --dashboard-public).", valueName: "HOST:PORT"))
    var dashboard: String?

    @Flag(name: .long, help: "Let --dashboard listen on an address other hosts can reach (it has no authentication).")
    var dashboardPublic = false

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics (loopback unless --metrics-public).", valueName: "HOST:PORT"))
    var metrics: String?

    @Flag(name: .long, help: "Let --metrics listen on an address other hosts can reach (it has no authentication).")
    var metricsPublic = false

    func validate() throws {
        if insecure && (key != nil || !allow.isEmpty) {
            throw ValidationError("--insecure cannot be combined with --key or --allow")
        }
        if !insecure && key == nil && bind.hasPrefix("tcp://") {
            throw ValidationError("over TCP, pass --key and --allow (make keys with `troupe keygen`), or --insecure on a trusted network")
        }
        if key != nil && allow.isEmpty {
            throw ValidationError("--key needs at least one --allow: with an empty allow-list nobody could connect")
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
        let security: SupervisorConfiguration.Security
        if let key {
            var allowed = Set<String>()
            for path in allow { allowed.formUnion(try KeyFiles.publicKeys(in: path)) }
            security = .curve(server: try KeyFiles.serverSettings(key: key), allowedKeys: allowed)
        } else {
            security = .insecure
        }
        // Before the supervisor exists: its metrics are made with it.
        let registry = metrics == nil ? nil : SupervisorWebServices.bootstrapMetrics()
        let server: SupervisorServer
        do {
            server = try SupervisorServer(SupervisorConfiguration(bind: bind, security: security))
        } catch {
            throw fail("\(error)")
        }
        let mode = key == nil ? "insecure" : "CURVE"
        print("troupe supervisor listening on \(server.endpoint) (\(mode))")
        StopOnSignal.install { server.stop(now: false) }
        var web: SupervisorWebServices? = nil
        if dashboard != nil || metrics != nil {
            do {
                web = try await SupervisorWebServices(
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
