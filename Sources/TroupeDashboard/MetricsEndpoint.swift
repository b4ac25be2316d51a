import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Troupe

/// Serves the metrics of a Prometheus registry at `/metrics`, in Prometheus's text format,
/// for a Prometheus server to scrape.
///
/// Troupe records its metrics (`troupe_…`, see the Observability article) through
/// swift-metrics; bootstrap swift-prometheus's factory before the first pool or supervisor is
/// made, and serve its registry:
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(MetricsEndpoint.factory(registry: registry))
/// let endpoint = try MetricsEndpoint(registry: registry, address: HTTPAddress("127.0.0.1:9464"))
/// ```
/// `troupe supervisor --metrics 127.0.0.1:9464` does this for a standalone supervisor.
public struct MetricsEndpoint: Service {
    /// Where it was asked to listen.
    public let address: HTTPAddress
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let report: BindingReport

    /// An endpoint for `registry`.
    /// - Parameters:
    ///   - registry: the metrics to serve.
    ///   - address: where to listen; a loopback address unless `allowPublic`.
    ///   - allowPublic: allow an address other hosts can reach (a Prometheus server on
    ///     another host); there is no authentication.
    ///   - logger: where the HTTP server logs.
    /// - Throws: `TroupeError` `.invalidArgument` for an address other hosts can reach,
    ///   without `allowPublic`.
    public init(registry: PrometheusCollectorRegistry, address: HTTPAddress, allowPublic: Bool = false,
                logger: Logger = Logger(label: "troupe.metrics")) throws {
        try address.checkExposure(allowPublic: allowPublic, of: "the metrics endpoint")
        self.address = address
        self.registry = registry
        self.logger = logger
        self.report = BindingReport(host: address.host)
    }

    /// Serves `/metrics` until the task is cancelled or the service group shuts down.
    /// - Throws: when the address cannot be bound.
    public func run() async throws {
        let router = Router()
        router.get("/metrics") { [registry] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/") { _, _ in "Troupe's metrics are at /metrics\n" }
        try await HTTPServing.run(router, at: address, report: report, logger: logger, name: "the metrics endpoint")
    }

    /// A Prometheus factory for `registry` whose task-latency histogram has buckets from
    /// 100 µs to 60 s: Troupe's tasks often take well under the default's first bucket, 5 ms.
    /// - Parameter registry: where the metrics go.
    /// - Returns: the factory to bootstrap `MetricsSystem` with.
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["troupe_task_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60),
        ]
        return factory
    }

    /// Waits until ``run()`` listens.
    /// - Returns: the address it listens on, `HOST:PORT`, with the port resolved.
    /// - Throws: `TroupeError` `.system` when it could not listen.
    public func boundAddress() async throws -> String {
        try await report.address()
    }
}
