/// How a ``Pool`` runs its workers. Every field has a sensible default.
public struct PoolOptions: Sendable {
    /// Most tasks handed to one worker at once when the queue is deep (at least four tasks
    /// per worker). By default 1: as in Python's pool, a worker takes a task only when it is
    /// free, work waits in the pool's queue, and a worker that dies takes only its one task
    /// with it. Raising it pipelines many small tasks (those sent together travel in one
    /// message, which is far faster), at a price: when a worker dies, the tasks queued in it
    /// fail too (or run again, if retryable). `map`, `imap` and `mapChunks` always send a
    /// chunk to one worker, whatever this says.
    public var pipelineDepth: Int = 1
    /// A worker gets no more pipelined work while one of its tasks has been running longer
    /// than this, so that a slow task holds back at most the few tasks already sent with it.
    public var pipelineAgeLimit: Duration = .milliseconds(5)
    /// How long a worker process may take to start and say it is ready.
    public var startTimeout: Duration = .seconds(60)
    /// How long `terminate()` waits after SIGTERM before it sends SIGKILL.
    public var terminateGracePeriod: Duration = .seconds(2)
    /// When a worker dies mid-task and the task was marked retryable, how many more times it
    /// may run (on another worker).
    public var maxRetries: Int = 2
    /// How long a worker may take to let go of a call that was cancelled or timed out; a
    /// worker still busy with it after that (work that ignores cancellation) is killed and
    /// replaced.
    public var cancelGracePeriod: Duration = .seconds(2)
    /// How many workers may die while starting or idle, in what period, before the pool
    /// gives up (failing its pending work with `.restartIntensityExceeded`, as an Erlang/OTP
    /// supervisor's restart intensity), and how long it pauses before replacing them when
    /// they keep dying. A worker that dies while it runs a task is that task's failure: it
    /// is replaced at once and does not count.
    public var restartIntensity = RestartIntensity(maxRestarts: 20, period: .seconds(10), immediateRestarts: 3)

    /// Options with every default.
    public init() {}
}

