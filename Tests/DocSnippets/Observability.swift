import Metrics
import Prometheus
import Troupe
import TroupeDashboard

/// Sources/Troupe/Troupe.docc/Observability.md
enum ObservabilityArticle {
    distributed actor Greeter: Worker {
        distributed func greet(_ name: String) -> String { "hello, \(name)" }
    }

    static func localDashboard() async throws {
        let pool = try await Pool<Greeter>(processes: 4)
        let dashboard = try Dashboard(pool: pool, address: HTTPAddress("127.0.0.1:8265"))
        try await dashboard.run()     // or add it to a ServiceGroup beside a PoolService
    }

    static func metrics() async throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(MetricsEndpoint.factory(registry: registry))
        try await Troupe.bootstrap(workers: [Greeter.self])
        let metrics = try MetricsEndpoint(registry: registry, address: HTTPAddress("127.0.0.1:9464"))
        _ = metrics
    }

    /// A stand-in with the shape of the part of swift-otel 1.x (`import OTel`) that the
    /// article uses: this package does not depend on swift-otel, so only the Troupe side of
    /// the example is checked by the compiler.
    enum OTel {
        struct Configuration {
            enum Exporter { case otlp }
            enum OTLPProtocol { case httpProtobuf }
            struct OTLPExporter { var endpoint = ""; var `protocol` = OTLPProtocol.httpProtobuf }
            struct BatchSpanProcessor { var scheduleDelay = Duration.seconds(5) }
            struct Traces {
                var exporter = Exporter.otlp
                var otlpExporter = OTLPExporter()
                var batchSpanProcessor = BatchSpanProcessor()
            }
            struct Signal { var enabled = true }
            static let `default` = Configuration()
            var serviceName = ""
            var traces = Traces()
            var metrics = Signal()
            var logs = Signal()
        }
        struct Observability: Sendable { func run() async throws {} }
        static func bootstrap(configuration: Configuration) throws -> Observability { Observability() }
    }

    struct App {
        static func main() async throws {
            var config = OTel.Configuration.default
            config.serviceName = "pool-results"
            config.traces.exporter = .otlp
            config.traces.otlpExporter.endpoint = "http://localhost:4318"   // the collector's OTLP/HTTP port
            config.traces.otlpExporter.protocol = .httpProtobuf
            // A worker lives as long as its pool: export often, so that its last spans leave.
            config.traces.batchSpanProcessor.scheduleDelay = .milliseconds(200)
            config.metrics.enabled = false
            config.logs.enabled = false
            let observability = try OTel.bootstrap(configuration: config)
            let exporter = Task { try await observability.run() }

            // In a worker process this serves, traced, and never returns.
            try await Troupe.bootstrap(workers: [Greeter.self])

            let pool = try await Pool<Greeter>(processes: 4)
            let result = try await pool.apply { try await $0.greet("hello") }
            print(result)
            pool.close()
            try await pool.join()
            exporter.cancel()
        }
    }
}
