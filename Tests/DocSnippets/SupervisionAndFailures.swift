import Logging
import ServiceLifecycle
import Troupe
import TroupeServiceLifecycle

/// Sources/Troupe/Troupe.docc/SupervisionAndFailures.md
enum SupervisionAndFailuresArticle {
    distributed actor Resizer: Worker {
        distributed func resize(_ path: String) -> Int { path.count }
    }

    distributed actor CacheServer: Worker {
        var entries: [String: String] = [:]
        distributed func put(_ key: String, _ value: String) { entries[key] = value }
    }

    static func matchingACode(result: AsyncResult<String>) async throws {
        do {
            print(try await result.get())
        } catch let error as TroupeError where error.code == .workerCrashed {
            print("the worker died: \(error.message)")
        }
    }

    static func errorsOfYourWork(pool: Pool<Resizer>, path: String) async throws {
        enum ImageError: Error, Codable { case unreadable(String) }

        do {
            _ = try await pool.apply { try await $0.resize(path) }
        } catch let error as TroupeError {
            if case .unreadable(let path)? = error.decodeRemote(as: ImageError.self) {
                print("cannot read \(path)")
            }
        }
    }

    static func restartIntensity() async throws -> Pool<Resizer> {
        var options = PoolOptions()
        options.restartIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(30), immediateRestarts: 1,
                                                    backoff: .milliseconds(100), maxBackoff: .seconds(5))
        let pool = try await Pool<Resizer>(processes: 4, options: options)
        return pool
    }

    static func ownShutdown(server: some Service, logger: Logger) async throws {
        try await Troupe.bootstrap(workers: [Resizer.self], handleSignals: false)
        let pool = try await Pool<Resizer>(processes: 4)
        let group = ServiceGroup(services: [PoolService(pool), server],
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }

    static func supervisedActors() async throws {
        let supervisor = Supervisor()
        let cache = try await supervisor.start(CacheServer.self, restart: .permanent)
        try await cache.call { try await $0.put("k", "v") }   // always the current process
    }
}
