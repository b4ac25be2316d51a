import Logging
/// Runs `body` with a new pool and cleans up on every path: when `body` returns, the pool
/// is closed and joined (queued work finishes); when it throws, the pool is terminated.
///
/// Python's `with Pool() as pool:` terminates on exit even after success, dropping work
/// still queued; this form waits for it.
/// - Parameters:
///   - type: the worker type.
///   - processes: how many worker processes; by default, one per CPU.
///   - maxTasksPerChild: replace each worker after this many tasks.
///   - options: see ``PoolOptions``.
///   - system: the actor system whose workers these are (see ``Pool/init(processes:maxTasksPerChild:options:system:initializer:logger:)``).
///   - initializer: runs once against each new worker.
///   - logger: where the pool logs; see ``Pool/init(processes:maxTasksPerChild:options:system:initializer:logger:)``.
///   - isolation: the caller's actor, inherited, so that `body` may be a closure of the
///     caller's (from `@main`, say) and need not be `Sendable`.
///   - body: the work with the pool.
/// - Returns: what `body` returned.
/// - Throws: what `body` threw, or a pool start failure.
public func withPool<W: Worker, R>(
    of type: W.Type,
    processes: Int? = nil,
    maxTasksPerChild: Int? = nil,
    options: PoolOptions = PoolOptions(),
    system: TroupeActorSystem? = nil,
    initializer: (@Sendable (W) async throws -> Void)? = nil,
    logger: Logger? = nil,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Pool<W>) async throws -> sending R
) async throws -> sending R {
    let pool = try await Pool<W>(processes: processes, maxTasksPerChild: maxTasksPerChild,
                                 options: options, system: system, initializer: initializer, logger: logger)
    do {
        let result = try await body(pool)
        pool.close()
        try await pool.join()
        return result
    } catch {
        pool.terminate()
        try? await pool.join()
        throw error
    }
}
