import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Troupe
import TroupeDashboard

/// The dashboard and the Prometheus endpoint of `troupe supervisor`, when asked for: HTTP
/// servers beside the supervisor, stopped after it.
final class BrokerWebServices: Sendable {
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// Bootstraps swift-metrics with a Prometheus registry; call it before the supervisor is made.
    static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(MetricsEndpoint.factory(registry: registry))
        return registry
    }

    /// Starts what is asked for and prints where each one listens, once it does.
    /// - Throws: ``TroupeError`` when one cannot listen.
    init(supervisor: BrokerServer, dashboard: HTTPAddress?, dashboardPublic: Bool,
         metrics: (address: HTTPAddress, registry: PrometheusCollectorRegistry)?, metricsPublic: Bool) async throws {
        var logger = Logger(label: "troupe.http")
        logger.logLevel = .warning
        var services: [any Service] = []
        var listening: [(name: String, path: String, address: @Sendable () async throws -> String)] = []
        if let dashboard {
            let service = try Dashboard(supervisor: supervisor, address: dashboard, allowPublic: dashboardPublic, logger: logger)
            services.append(service)
            listening.append(("dashboard", "/", { try await service.boundAddress() }))
        }
        if let metrics {
            let service = try MetricsEndpoint(registry: metrics.registry, address: metrics.address, allowPublic: metricsPublic, logger: logger)
            services.append(service)
            listening.append(("metrics", "/metrics", { try await service.boundAddress() }))
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: logger)
        self.group = group
        running = Task { try await group.run() }
        do {
            for service in listening {
                print("troupe supervisor \(service.name) on http://\(try await service.address())\(service.path)")
            }
        } catch {
            running.cancel()
            throw error
        }
    }

    /// Stops the servers: open pages are told to stop, then the servers close.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
