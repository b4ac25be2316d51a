/// One unit of work in a pool's queue, its value type erased: something to run against a
/// worker, and what to do when it cannot run.
struct PoolJob<W: Worker>: Sendable {
    /// The job's number within its pool.
    let id: UInt64
    /// Runs the work; returns nil when it ended (its result is set), or the error it failed
    /// with, for the pool to decide between a retry and a failure.
    let execute: @Sendable (W) async -> (any Error)?
    /// Ends the job's result with an error (it will not run, or not again).
    let fail: @Sendable (any Error) -> Void
    /// Whether the work may run again after its worker died mid-task.
    let retryable: Bool
    /// How many more times the work may run after a worker crash.
    var retriesLeft: Int
    /// How long the work may run once started; nil for no limit.
    let timeout: Duration?
}
