/// What a standalone supervisor reports to `troupe status`: its workers, its queue, its
/// clients and what it rejected. It travels as the MessagePack payload of a STATUS command.
public struct BrokerStatus: Codable, Sendable, Hashable {
    /// One worker process connected to the supervisor.
    public struct Worker: Codable, Sendable, Hashable {
        /// The worker's node name.
        public var node: String
        /// Its process id on its host.
        public var pid: Int64
        /// Its host's name, as it reported it.
        public var host: String
        /// The network address it connected from.
        public var address: String
        /// The actor types it serves.
        public var services: [String]
        /// "idle" or "busy".
        public var state: String
        /// Requests it has finished.
        public var tasksDone: Int
        /// Milliseconds since the supervisor last heard from it.
        public var lastHeardMilliseconds: Int
        /// How many workers held its place on its host before it: it replaced one that was
        /// lost (see ``BrokerStatus``). Nil from a supervisor that does not report it.
        public var restarts: Int? = nil
        /// How the worker whose place it took ended, such as `pid 4242 lost (missed 3
        /// heartbeats)`; nil when it took no one's place.
        public var lastExit: String? = nil
        /// Its resident memory (RSS) in bytes, read by the supervisor when the worker runs on
        /// the supervisor's own host; nil for workers of other hosts.
        public var residentBytes: Int64? = nil
        /// How many requests it may hold at once (its credit): 1 for a worker that takes one
        /// at a time. Nil from a supervisor that does not report it.
        public var credit: Int? = nil
        /// How many of the requests it holds wait behind the one it runs, not started yet.
        public var prefetched: Int? = nil

        /// Creates a worker's line of a status.
        /// - Parameters:
        ///   - node: its node name.
        ///   - pid: its process id.
        ///   - host: its host's name.
        ///   - address: where it connected from.
        ///   - services: the actor types it serves.
        ///   - state: such as `idle` or `busy`.
        ///   - tasksDone: requests it finished.
        ///   - lastHeardMilliseconds: milliseconds since it was last heard from.
        ///   - restarts: how many held its place before it.
        ///   - lastExit: how the one before it ended.
        ///   - residentBytes: its resident memory in bytes.
        ///   - credit: how many requests it may hold at once.
        ///   - prefetched: how many of them have not started.
        public init(node: String, pid: Int64, host: String, address: String, services: [String], state: String, tasksDone: Int,
                    lastHeardMilliseconds: Int, restarts: Int? = nil, lastExit: String? = nil, residentBytes: Int64? = nil,
                    credit: Int? = nil, prefetched: Int? = nil) {
            self.node = node
            self.pid = pid
            self.host = host
            self.address = address
            self.services = services
            self.state = state
            self.tasksDone = tasksDone
            self.lastHeardMilliseconds = lastHeardMilliseconds
            self.restarts = restarts
            self.lastExit = lastExit
            self.residentBytes = residentBytes
            self.credit = credit
            self.prefetched = prefetched
        }
    }

    /// What finished in one interval of the last minutes (see ``activity``).
    public struct Activity: Codable, Sendable, Hashable {
        /// Seconds from the interval's start to the status's time.
        public var secondsAgo: Int
        /// Requests finished in the interval (as ``BrokerStatus/completed`` counts them).
        public var completed: Int
        /// Requests that failed in the interval, by error code.
        public var failed: [String: Int]

        /// Creates an interval's record.
        /// - Parameters:
        ///   - secondsAgo: seconds from its start to the status's time.
        ///   - completed: requests finished in it.
        ///   - failed: requests failed in it, by error code.
        public init(secondsAgo: Int, completed: Int, failed: [String: Int]) {
            self.secondsAgo = secondsAgo
            self.completed = completed
            self.failed = failed
        }
    }

    /// One shared-state container the supervisor holds.
    public struct Container: Codable, Sendable, Hashable {
        /// Its name.
        public var name: String
        /// `dict`, `array`, `list`, `value`, `queue` or `lock`.
        public var kind: String
        /// How many elements it holds (a lock: 1 while held, a value: 1).
        public var count: Int

        /// Creates a container's line of a status.
        /// - Parameters:
        ///   - name: its name.
        ///   - kind: `dict`, `array`, `list`, `value`, `queue` or `lock`.
        ///   - count: how many elements it holds.
        public init(name: String, kind: String, count: Int) {
            self.name = name
            self.kind = kind
            self.count = count
        }
    }

    /// The endpoint the supervisor is bound to.
    public var endpoint: String
    /// "running", "closing" or "stopped".
    public var phase: String
    /// Whether CURVE security is on.
    public var secure: Bool
    /// Every connected worker.
    public var workers: [Worker]
    /// Requests waiting for a worker, by service.
    public var queued: [String: Int]
    /// Requests running on workers: started (a worker that holds several says which it
    /// started), not the ones waiting in a worker behind them (``prefetched``).
    public var running: Int
    /// Requests finished since the supervisor started.
    public var completed: Int
    /// Clients that have sent work or shared-state operations and are still heard from
    /// (peers that only ask for the status, such as `troupe status`, are not counted).
    public var clients: Int
    /// Workers declared lost (missed heartbeats).
    public var workersLost: Int
    /// Messages rejected as malformed, by error code.
    public var rejected: [String: Int]
    /// Connection attempts refused: by the key allow-list, or because their security
    /// handshake failed before (plaintext, a wrong server key). A refused peer retries, so
    /// one peer makes many attempts.
    public var unauthorized: Int
    /// Distinct keys the allow-list refused (peers, where ``unauthorized`` counts attempts);
    /// a peer whose handshake failed before showing a key is not among them.
    public var refusedKeys: Int
    /// Requests finished per second, over the last 10 seconds. Nil from a supervisor that
    /// does not report it (as for every field below).
    public var tasksPerSecond: Double? = nil
    /// Requests that ended in an error since the supervisor started, by error code: a
    /// worker's THROW (also counted in ``completed``: the worker finished it) or the
    /// supervisor's own ERROR (`workerLost`, `cancelled`, `closed`, `terminated`).
    public var failed: [String: Int]? = nil
    /// The last 5 minutes in intervals of 10 seconds, oldest first.
    public var activity: [Activity]? = nil
    /// The shared-state containers the supervisor holds, by name.
    public var containers: [Container]? = nil
    /// Requests handed to workers that wait there behind the one each runs, not started.
    public var prefetched: Int? = nil

    /// Creates a status, for a program that reports something else in the same shape (a
    /// dashboard of a local pool).
    /// - Parameters:
    ///   - endpoint: where it is reached, or what it is.
    ///   - phase: such as `running`.
    ///   - secure: whether CURVE security is on.
    ///   - workers: every worker.
    ///   - queued: requests waiting, by service.
    ///   - running: requests running.
    ///   - completed: requests finished.
    ///   - clients: clients heard from recently.
    ///   - workersLost: workers declared lost.
    ///   - rejected: messages rejected, by error code.
    ///   - unauthorized: connection attempts refused.
    ///   - refusedKeys: distinct keys the allow-list refused.
    ///   - tasksPerSecond: requests finished per second lately.
    ///   - failed: requests failed, by error code.
    ///   - activity: the last minutes, oldest interval first.
    ///   - containers: the shared-state containers.
    ///   - prefetched: requests waiting in workers, not started.
    public init(endpoint: String, phase: String, secure: Bool, workers: [Worker], queued: [String: Int], running: Int,
                completed: Int, clients: Int = 0, workersLost: Int = 0, rejected: [String: Int] = [:], unauthorized: Int = 0,
                refusedKeys: Int = 0, tasksPerSecond: Double? = nil, failed: [String: Int]? = nil, activity: [Activity]? = nil,
                containers: [Container]? = nil, prefetched: Int? = nil) {
        self.endpoint = endpoint
        self.phase = phase
        self.secure = secure
        self.workers = workers
        self.queued = queued
        self.running = running
        self.completed = completed
        self.clients = clients
        self.workersLost = workersLost
        self.rejected = rejected
        self.unauthorized = unauthorized
        self.refusedKeys = refusedKeys
        self.tasksPerSecond = tasksPerSecond
        self.failed = failed
        self.activity = activity
        self.containers = containers
        self.prefetched = prefetched
    }
}
