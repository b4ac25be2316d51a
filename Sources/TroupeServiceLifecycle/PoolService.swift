import ServiceLifecycle
import Troupe

/// Runs a pool as a swift-service-lifecycle `Service`, so that a server embedding it shuts
/// it down with everything else. It is the `TroupeServiceLifecycle` product, so that a
/// program that wants none of swift-service-lifecycle builds none of it.
///
/// ```swift
/// try await Troupe.bootstrap(workers: [Resizer.self], handleSignals: false)
/// let pool = try await Pool<Resizer>(processes: 4)
/// let group = ServiceGroup(services: [PoolService(pool), server],
///                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
/// On graceful shutdown the pool is closed: queued work finishes, then the workers exit.
/// If the service is cancelled instead, the pool is terminated.
public struct PoolService<W: Worker>: Service {
    /// The pool the service runs.
    public let pool: Pool<W>

    /// Creates a service for `pool`.
    /// - Parameter pool: the pool to close on graceful shutdown.
    public init(_ pool: Pool<W>) {
        self.pool = pool
    }

    /// Waits for graceful shutdown, then closes and joins the pool.
    /// - Throws: the error of `Pool.join()`.
    public func run() async throws {
        try? await gracefulShutdown()
        pool.close()
        try await withTaskCancellationHandler {
            try await pool.join()
        } onCancel: {
            pool.terminate()
        }
    }
}
