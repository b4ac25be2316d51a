/// What a worker process of a pool is doing.
public enum WorkerState: String, Sendable, Codable, CustomStringConvertible {
    /// Its process is starting (or being replaced).
    case starting
    /// Ready, with no work.
    case idle
    /// Running work.
    case busy
    /// Finishing a call it was told to stop; it gets no work until it has.
    case draining
    /// Finishing its last tasks before it is replaced (`maxTasksPerChild`).
    case retiring
    /// Told to exit.
    case stopping
    /// Its process has exited.
    case exited

    /// The state's name, such as `idle`.
    public var description: String { rawValue }
}

/// A snapshot of a pool: its workers and its queue. See ``Pool/status()``.
public struct PoolStatus: Sendable, CustomStringConvertible {
    /// One worker position.
    public struct Worker: Sendable {
        /// The position (0 ..< processes); it keeps its number when its process is replaced.
        public let position: Int
        /// The process id, while a process serves the position.
        public let pid: Int32?
        /// What it is doing.
        public let state: WorkerState
        /// Tasks finished at this position, over all its processes.
        public let tasksDone: Int
        /// How many times its process died unexpectedly and was replaced.
        public let restarts: Int
        /// How its last process ended, if one did.
        public let lastExit: ExitStatus?
        /// Tasks it is running now: 1 once its process has started a task's call, until the
        /// call is answered.
        public let running: Int
        /// Tasks handed to it ahead of time, waiting behind the one it runs.
        public let prefetched: Int
    }

    /// "running", "closed", "terminating", "terminated", or "failed" (too many restarts).
    public let phase: String
    /// Every worker position.
    public let workers: [Worker]
    /// Tasks waiting for a worker.
    public let queued: Int
    /// Tasks handed to workers (running, or waiting in a worker behind the one it runs).
    public let running: Int
    /// Why the pool stopped on its own, if it did.
    public let failure: TroupeError?

    /// The status as a few lines of text: the phase and queue, then one line per worker.
    public var description: String {
        var lines = ["pool \(phase): \(running) running, \(queued) queued"]
        for worker in workers {
            let pid = worker.pid.map { "\($0)" } ?? "-"
            let last = worker.lastExit.map { ", last exit: \($0)" } ?? ""
            lines.append("  worker \(worker.position): pid \(pid), \(worker.state), \(worker.tasksDone) done, \(worker.restarts) restarts\(last)")
        }
        return lines.joined(separator: "\n")
    }
}
