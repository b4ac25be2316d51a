import TroupePlatform
import Logging

/// A pool of worker processes, each serving a `W` actor: Python's `multiprocessing.Pool`,
/// with compiler-checked calls instead of pickling.
///
/// ```swift
/// let pool = try await Pool<Greeter>(processes: 4)
/// let results = try (0..<3).map { i in try pool.applyAsync { try await $0.greet("hello \(i)") } }
/// pool.close()
/// try await pool.join()
/// for result in results { print(try await result.get()) }
/// ```
/// Work is a closure that receives a reference to an idle worker and calls its distributed
/// functions; the calls run in the worker process. When every worker is busy, work waits
/// in the pool's queue, not in a worker.
///
/// - ``close()``: no new work; queued work still runs; workers exit when it is done.
/// - ``terminate()``: workers stop now; unfinished results fail with `.terminated`.
/// - ``join()``: waits for every worker to exit; call `close()` or `terminate()` first.
///
/// A worker that dies mid-task is replaced; its task fails with `.workerCrashed` (or runs
/// again, if you marked it `retryable`). A pool dropped without `join()` stops its workers.
public final class Pool<W: Worker>: Sendable {
    let core: PoolCore
    /// The worker reference of each position, handed to the work: calls on it go to the
    /// process serving that position when the call is made.
    let lanes: [W]

    /// Starts a pool and returns once every worker is ready.
    /// - Parameters:
    ///   - processes: how many worker processes; by default, one per CPU.
    ///   - maxTasksPerChild: replace each worker after it has run this many tasks (no task is lost).
    ///   - options: pipelining, timeouts and retries; see ``PoolOptions``.
    ///   - system: the actor system whose workers these are: by default this process's own
    ///     (``TroupeActorSystem/local()``); a test gives an in-memory one (`TroupeTesting`).
    ///   - initializer: runs once against each new worker before it gets any work.
    ///   - logger: where the pool logs its workers' deaths and failed starts (at info and
    ///     error); by default the logger given to ``Troupe/bootstrap(workers:handleSignals:logger:)``.
    /// - Throws: ``TroupeError`` `.workerStartFailed` when a worker cannot start (or the
    ///   initializer throws), or `.invalidArgument` when `processes` or `maxTasksPerChild` is
    ///   below 1.
    public init(
        processes: Int? = nil,
        maxTasksPerChild: Int? = nil,
        options: PoolOptions = PoolOptions(),
        system: TroupeActorSystem? = nil,
        initializer: (@Sendable (W) async throws -> Void)? = nil,
        logger: Logger? = nil
    ) async throws {
        let count = processes ?? Pool.cpuCount
        guard count >= 1 else {
            throw TroupeError(.invalidArgument, "a pool needs at least 1 process, not \(count)")
        }
        if let maxTasksPerChild, maxTasksPerChild < 1 {
            throw TroupeError(.invalidArgument, "maxTasksPerChild must be at least 1, not \(maxTasksPerChild)")
        }
        let system = try system ?? TroupeActorSystem.local()
        let number = system.lanes.nextNumber()
        lanes = try Self.laneReferences(count, pool: number, system: system)
        var initialize: (@Sendable (WorkerLauncher.Started) async throws -> Void)?
        if let initializer {
            initialize = { started in try await initializer(try W.resolve(id: started.actorID, using: system)) }
        }
        let starter = PoolCore.WorkerStarter(launch: { launcher in try await launcher.start(W.self) }, initialize: initialize)
        core = PoolCore(system: system, number: number, processes: count, maxTasksPerChild: maxTasksPerChild,
                        starter: starter, options: options, logger: logger)
        try await core.startAll()
    }

    /// Connects to a standalone supervisor (`troupe supervisor`) and sends the work to its
    /// workers of type `W`, on whatever hosts they run: the same API as a local pool.
    ///
    /// Each distributed call the work makes is routed by the supervisor to an idle worker
    /// serving `W`; calls wait in the supervisor's queue while all are busy. A worker lost
    /// mid-task (its host vanished) fails the task with `.workerLost`, or runs it again
    /// elsewhere if it is `retryable`.
    /// - Parameters:
    ///   - endpoint: the supervisor's endpoint, such as `tcp://10.0.0.5:5555`.
    ///   - security: CURVE keys (see ``KeyFiles``), or `.insecure` on a trusted network.
    ///   - concurrency: how many tasks this client keeps in flight at once.
    ///   - options: timeouts and retries; see ``PoolOptions``.
    ///   - logger: where the pool logs; by default the process's (see ``Troupe/bootstrap(workers:handleSignals:logger:)``).
    /// - Throws: ``TroupeError`` `.timeout` (or `.workerLost`, when its heartbeats stop
    ///   first) when the supervisor does not answer within `options.startTimeout`, at most
    ///   10 seconds: it is unreachable, or refuses this client's key. `.invalidArgument` when
    ///   `concurrency` is below 1.
    public init(
        connectingTo endpoint: String,
        security: ClientSecurity,
        concurrency: Int = 256,
        options: PoolOptions = PoolOptions(),
        logger: Logger? = nil
    ) async throws {
        guard concurrency >= 1 else {
            throw TroupeError(.invalidArgument, "concurrency must be at least 1, not \(concurrency)")
        }
        let client = try BrokerClient(endpoint: endpoint, security: security)
        _ = try await client.status(timeout: min(options.startTimeout, .seconds(10)))
        let number = client.system.lanes.nextNumber()
        // A few lanes, each holding several tasks, keep `concurrency` in flight: every task's
        // start and end read every lane, and 256 lanes of one task cost more than the task.
        let laneCount = Self.laneCount(forConcurrency: concurrency)
        var laneOptions = options
        laneOptions.pipelineDepth = concurrency / laneCount
        lanes = try Self.laneReferences(laneCount, pool: number, system: client.system)
        let starter = PoolCore.WorkerStarter(launch: { _ in
            throw TroupeError(.invalidState, "a pool connected to a supervisor starts no process")
        }, initialize: nil)
        core = PoolCore(system: client.system, number: number, processes: laneCount, maxTasksPerChild: nil,
                        starter: starter, options: laneOptions, ownsProcesses: false, logger: logger)
        core.startLanes(peer: .service(endpoint: endpoint, name: W.workerTypeName))
    }

    deinit {
        core.abandon()
    }

    /// How many lanes carry `concurrency` tasks at once: the largest divisor of it up to 16,
    /// so that every lane holds the same number of tasks and exactly `concurrency` are in flight.
    static func laneCount(forConcurrency concurrency: Int) -> Int {
        (1...min(16, concurrency)).last { concurrency % $0 == 0 } ?? 1
    }

    private static func laneReferences(_ count: Int, pool: UInt64, system: TroupeActorSystem) throws -> [W] {
        try (0..<count).map { position in
            try W.resolve(id: LaneRegistry.laneID(pool: pool, position: position, node: system.node), using: system)
        }
    }

    /// The number of CPUs online.
    static var cpuCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// How many worker processes the pool keeps.
    public var processes: Int { core.processCount }

    // MARK: Submitting work

    /// Runs `body` against an idle worker and waits for its value: Python's `apply`.
    ///
    /// Called from a task of your own, `body` runs in that task (it sees its task-locals),
    /// wherever and whenever the pool hands it a worker; from the mailbox's threads (inside
    /// other pool work), it is queued as ``applyAsync(retryable:timeout:_:)`` queues it.
    /// - Parameters:
    ///   - retryable: whether the work may run again elsewhere if its worker dies mid-task
    ///     (only for work that is safe to repeat).
    ///   - timeout: how long the work may run once started (see ``applyAsync(retryable:timeout:_:)``).
    ///   - body: the work; it receives a worker and calls its distributed functions.
    /// - Returns: what `body` returned.
    /// - Throws: ``TroupeError`` (`.closed`, `.workerCrashed`, `.remote`...) or `body`'s own error.
    public func apply<R: Sendable>(
        retryable: Bool = false,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (W) async throws -> R
    ) async throws -> R {
        if !core.system.executor.isExecutorThread {
            return try await applyHere(retryable: retryable, timeout: timeout, body)
        }
        let result = try applyAsync(retryable: retryable, timeout: timeout, body)
        return try await withTaskCancellationHandler {
            try await result.get()
        } onCancel: {
            result.cancel()
        }
    }

    /// Runs `body` in the calling task, wherever and whenever the pool hands it a worker: its
    /// calls leave from this task's thread and their replies come back to it, with no hop
    /// through a runner on the mailbox's thread. Same semantics as a queued task otherwise.
    private func applyHere<R: Sendable>(
        retryable: Bool,
        timeout: Duration?,
        _ body: @escaping @Sendable (W) async throws -> R
    ) async throws -> R {
        let result = AsyncResult<R>()
        try await core.runHere(retryable: retryable, timeout: timeout, entry(body, completing: result))
        // The task has ended, so its result is set.
        return try await result.get()
    }

    /// The job entry of one task: `body` against the worker of the position it is handed,
    /// its value or error into `result`.
    private func entry<R: Sendable>(_ body: @escaping @Sendable (W) async throws -> R,
                                    completing result: AsyncResult<R>) -> PoolCore.JobEntry {
        let lanes = self.lanes
        return PoolCore.JobEntry(execute: { position in
            do {
                try Task.checkCancellation()
                result.complete(.success(try await body(lanes[position])))
                return nil
            } catch {
                return error
            }
        }, fail: { error in
            result.complete(.failure(error))
        })
    }

    /// Queues `body` and returns at once with its future result: Python's `apply_async`.
    /// - Parameters:
    ///   - retryable: whether the work may run again elsewhere if its worker dies mid-task.
    ///   - timeout: how long the work may run once started; past it, the work is stopped in
    ///     its worker (which is replaced if it does not stop) and the result fails with
    ///     `.timeout`.
    ///   - body: the work; it receives a worker and calls its distributed functions.
    /// - Returns: the result, to collect with ``AsyncResult/get()``.
    /// - Throws: ``TroupeError`` `.closed` after ``close()`` or ``terminate()``.
    @discardableResult
    public func applyAsync<R: Sendable>(
        retryable: Bool = false,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (W) async throws -> R
    ) throws -> AsyncResult<R> {
        let result = AsyncResult<R>()
        let id = try core.submit(retryable: retryable, timeout: timeout, entry(body, completing: result))
        let core = self.core
        result.setCancelHandler { core.cancel(jobID: id) }
        return result
    }

    // MARK: Life cycle

    /// Accepts no more work; queued work still runs, then the workers exit.
    public func close() {
        core.close()
    }

    /// Stops every worker now (SIGTERM, then SIGKILL after the grace period); queued and
    /// running work fails with ``TroupeError/Code/terminated``.
    public func terminate() {
        core.terminate()
    }

    /// Waits until every worker has exited.
    /// - Throws: ``TroupeError`` `.invalidState` when called before ``close()`` or ``terminate()``.
    public func join() async throws {
        try await core.join()
    }

    /// What the pool is doing now: each worker's pid, state, tasks done, restarts and last
    /// exit, and the queue depth.
    /// - Returns: a snapshot, taken at once.
    public func status() -> PoolStatus {
        core.status()
    }
}
