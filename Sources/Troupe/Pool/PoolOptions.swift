/// How a ``Pool`` runs its workers. Every field has a sensible default.
public struct PoolOptions: Sendable {
    /// Most tasks handed to one worker at once when the queue is deep. Tasks sent together
    /// travel in one message, which is what makes many small tasks fast; with a short queue
    /// each worker gets one task at a time, so a slow task never holds back another.
    public var pipelineDepth: Int = 16
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

    /// Options with every default.
    public init() {}
}
