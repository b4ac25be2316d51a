import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Troupe

/// A read-only live dashboard of a deployment in the browser: its hosts and worker
/// processes, the queue, what finished and failed over the last minutes, the shared-state
/// containers and the refused connections.
///
/// The page, its style and its script are served from the program itself (nothing from the
/// network, so it works offline); it updates itself with server-sent events from
/// `/api/events`, and `/api/status` answers the same JSON, whose fields are those of
/// `troupe status --json`. Run it as a swift-service-lifecycle `Service`, or call ``run()``:
///
/// ```swift
/// let pool = try await Pool<Greeter>(processes: 4)
/// let dashboard = try Dashboard(pool: pool, address: HTTPAddress("127.0.0.1:8265"))
/// try await dashboard.run()        // until cancelled or shut down gracefully
/// ```
/// `troupe supervisor --dashboard 127.0.0.1:8265` serves one for a standalone supervisor.
public struct Dashboard: Service {
    /// Where it was asked to listen.
    public let address: HTTPAddress
    private let feed: StatusFeed
    private let logger: Logger
    private let report: BindingReport

    /// A dashboard of whatever `status` reports.
    /// - Parameters:
    ///   - address: where to listen; a loopback address unless `allowPublic`.
    ///   - allowPublic: allow an address other hosts can reach (the page has no
    ///     authentication: anyone who reaches it sees the deployment).
    ///   - refreshInterval: how often the page is updated.
    ///   - logger: where the HTTP server logs.
    ///   - status: reads the status to show; called at most once per `refreshInterval`.
    /// - Throws: `TroupeError` `.invalidArgument` for an address other hosts can reach,
    ///   without `allowPublic`.
    public init(address: HTTPAddress, allowPublic: Bool = false, refreshInterval: Duration = .seconds(1),
                logger: Logger = Logger(label: "troupe.dashboard"),
                status: @escaping @Sendable () async throws -> BrokerStatus) throws {
        try address.checkExposure(allowPublic: allowPublic, of: "the dashboard")
        self.address = address
        self.feed = StatusFeed(interval: refreshInterval, source: status)
        self.logger = logger
        self.report = BindingReport(host: address.host)
    }

    /// A dashboard of a standalone supervisor running in this process.
    /// - Parameters:
    ///   - supervisor: the supervisor to show.
    ///   - address: where to listen; a loopback address unless `allowPublic`.
    ///   - allowPublic: allow an address other hosts can reach.
    ///   - refreshInterval: how often the page is updated.
    ///   - logger: where the HTTP server logs.
    /// - Throws: `TroupeError` `.invalidArgument` for an address other hosts can reach,
    ///   without `allowPublic`.
    public init(supervisor: BrokerServer, address: HTTPAddress, allowPublic: Bool = false,
                refreshInterval: Duration = .seconds(1), logger: Logger = Logger(label: "troupe.dashboard")) throws {
        try self.init(address: address, allowPublic: allowPublic, refreshInterval: refreshInterval, logger: logger) {
            await supervisor.status()
        }
    }

    /// A dashboard of a local pool, and of the containers of a manager whose owner lives in
    /// this process.
    /// - Parameters:
    ///   - pool: the pool to show.
    ///   - manager: a manager whose containers to show too, if any.
    ///   - address: where to listen; a loopback address unless `allowPublic`.
    ///   - allowPublic: allow an address other hosts can reach.
    ///   - refreshInterval: how often the page is updated.
    ///   - logger: where the HTTP server logs.
    /// - Throws: `TroupeError` `.invalidArgument` for an address other hosts can reach,
    ///   without `allowPublic`.
    public init<W: Worker>(pool: Pool<W>, manager: Manager? = nil, address: HTTPAddress, allowPublic: Bool = false,
                           refreshInterval: Duration = .seconds(1), logger: Logger = Logger(label: "troupe.dashboard")) throws {
        let adapter = PoolStatusAdapter(pool: pool, manager: manager)
        try self.init(address: address, allowPublic: allowPublic, refreshInterval: refreshInterval, logger: logger) {
            adapter.status()
        }
    }

    /// Serves the dashboard until the task is cancelled or the service group shuts down
    /// gracefully (open pages are told to stop within a refresh interval).
    /// - Throws: when the address cannot be bound.
    public func run() async throws {
        let router = Router()
        router.add(middleware: ReadOnlyHeaders())
        router.get("/") { _, _ in Self.asset(DashboardAssets.page, type: "text/html; charset=utf-8") }
        router.get("/dashboard.css") { _, _ in Self.asset(DashboardAssets.style, type: "text/css; charset=utf-8") }
        router.get("/dashboard.js") { _, _ in Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/api/status") { [feed] _, _ in
            let reading = try await feed.current()
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: reading.json)))
        }
        router.get("/api/events") { [feed] _, _ in
            Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                     body: ResponseBody { writer in try await Self.stream(feed, to: &writer) })
        }
        try await HTTPServing.run(router, at: address, report: report, logger: logger, name: "the dashboard")
    }

    /// Waits until ``run()`` listens.
    /// - Returns: the address it listens on, `HOST:PORT`, with the port resolved.
    /// - Throws: `TroupeError` `.system` when it could not listen.
    public func boundAddress() async throws -> String {
        try await report.address()
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Sends each new reading as a `status` event until the page goes away or the service
    /// shuts down.
    private static func stream(_ feed: StatusFeed, to writer: inout any ResponseBodyWriter) async throws {
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        var sequence = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let reading = try await feed.next(after: sequence)
            sequence = reading.sequence
            try await writer.write(ByteBuffer(string: "id: \(reading.sequence)\nevent: status\ndata: \(reading.json)\n\n"))
        }
        try await writer.finish(nil)
    }
}
