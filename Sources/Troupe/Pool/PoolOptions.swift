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
    /// At most this many unexpected worker deaths in this period; one more and the pool
    /// stops, failing its pending work with `.restartIntensityExceeded` (Erlang/OTP's
    /// restart intensity).
    public var restartIntensity = RestartIntensity(maxRestarts: 20, period: .seconds(10))
    /// The pause before replacing a worker when workers keep dying (after the third death
    /// within the intensity period); it doubles with each further death, up to
    /// ``maximumRestartBackoff``.
    public var restartBackoff: Duration = .milliseconds(50)
    /// The longest pause before replacing a worker.
    public var maximumRestartBackoff: Duration = .seconds(2)

    /// Options with every default.
    public init() {}
}

/// How many unexpected worker deaths a supervisor accepts in a period before it gives up,
/// as an Erlang/OTP supervisor's `intensity` and `period`.
public struct RestartIntensity: Sendable, Hashable {
    /// The most restarts allowed within ``period``.
    public var maxRestarts: Int
    /// The sliding window the restarts are counted in.
    public var period: Duration

    /// Creates a restart intensity.
    /// - Parameters:
    ///   - maxRestarts: the most restarts allowed within `period`; one more and the pool or
    ///     supervisor gives up.
    ///   - period: the sliding window the restarts are counted in.
    public init(maxRestarts: Int, period: Duration) {
        self.maxRestarts = maxRestarts
        self.period = period
    }
}
