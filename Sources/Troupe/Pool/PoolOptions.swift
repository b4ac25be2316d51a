/// How a ``Pool`` runs its workers. Every field has a sensible default.
public struct PoolOptions: Sendable {
    /// The most tasks handed to one worker at once (prefetch): a worker holds the task it
    /// runs and up to this many minus one behind it, so that small tasks travel many to a
    /// message and a worker never waits for its next one. This costs no safety: the pool
    /// knows which task a worker was running when it died (that one fails, or runs again if
    /// retryable), and the ones waiting behind it go back to the queue, uncounted; and a task
    /// that runs longer than ``pipelineAgeLimit`` has the work behind it taken back for the
    /// other workers. 64 by default (measured: beyond it `applyAsync` of trivial tasks gains
    /// nothing); 1 sends a worker one task at a time.
    public var pipelineDepth: Int = 64
    /// When a worker's current task has run this long, the tasks waiting behind it are
    /// withdrawn and handed to other workers, and it gets no more until that task ends.
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

