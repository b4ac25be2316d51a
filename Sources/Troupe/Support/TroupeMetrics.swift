import Metrics

/// Where Troupe records its metrics, through swift-metrics: one place that creates every
/// `Counter`, `Meter` and `Timer` once, so that recording an event allocates nothing.
///
/// The objects are made on first use, from whatever `MetricsSystem` is bootstrapped then: a
/// program that bootstraps its own factory before its first pool, supervisor or manager sees
/// Troupe's metrics with no further code. The names are documented in the Observability
/// article; keep the two in step.
///
/// Levels (queue depth, running tasks, live workers) are `Meter`s moved by differences, so
/// that two sources in one process (a pool and a supervisor, two pools) add up: each source
/// keeps its own ``Level`` and reports its current value through it.
final class TroupeMetrics: Sendable {
    /// The instance every recorder uses.
    static let shared = TroupeMetrics()
    /// Another instance for what starts in this task (a test's, with a factory of its own).
    @TaskLocal static var override: TroupeMetrics?
    /// The instance a recorder made now uses: ``override``, or ``shared``.
    static var current: TroupeMetrics { override ?? shared }

    /// Tasks accepted for running (`troupe_tasks_submitted_total`).
    let tasksSubmitted: Counter
    /// Tasks that ended with a result (`troupe_tasks_completed_total`).
    let tasksCompleted: Counter
    /// Tasks that ended with an error, by its code (`troupe_tasks_failed_total{code}`).
    private let tasksFailed: LabeledCounters
    /// From submission to outcome, for every task that ended (`troupe_task_duration_seconds`).
    let taskDuration: Timer
    /// Tasks waiting for a worker (`troupe_tasks_queued`).
    let tasksQueued: Meter
    /// Tasks running on workers (`troupe_tasks_running`).
    let tasksRunning: Meter
    /// Worker processes ready or working (`troupe_workers_alive`).
    let workersAlive: Meter
    /// Worker processes replaced after they died or were lost (`troupe_worker_restarts_total`).
    let workerRestarts: Counter
    /// Workers declared lost for missing heartbeats (`troupe_workers_lost_total`).
    let workersLost: Counter
    /// Messages rejected as malformed, by error code (`troupe_messages_rejected_total{code}`).
    private let messagesRejected: LabeledCounters
    /// Connections refused by the security handshake, by reason
    /// (`troupe_handshakes_refused_total{reason}`).
    private let handshakesRefused: LabeledCounters
    /// Shared-state operations, by operation (`troupe_state_operations_total{operation}`).
    private let stateOperations: [String: Counter]
    private let otherStateOperation: Counter

    /// Every operation of Protocol 3; anything else is counted as `other`, so that a peer
    /// cannot make the label's values grow without bound.
    static let stateOperationNames = [
        "create", "kind", "snapshot", "count", "get", "getMany", "set", "update", "remove", "contains", "keys",
        "values", "clear", "increment", "incrementMany", "compareExchange", "add", "typeCode", "append", "extend", "insert", "pop",
        "put", "acquire", "release", "holder",
    ]

    /// Makes every metric from `factory` (tests pass their own; ``shared`` uses the one
    /// bootstrapped when it is first used).
    init(factory: any MetricsFactory = MetricsSystem.factory) {
        tasksSubmitted = Counter(label: "troupe_tasks_submitted_total", factory: factory)
        tasksCompleted = Counter(label: "troupe_tasks_completed_total", factory: factory)
        tasksFailed = LabeledCounters(label: "troupe_tasks_failed_total", dimension: "code", factory: factory)
        taskDuration = Timer(label: "troupe_task_duration_seconds", preferredDisplayUnit: .seconds, factory: factory)
        tasksQueued = Meter(label: "troupe_tasks_queued", factory: factory)
        tasksRunning = Meter(label: "troupe_tasks_running", factory: factory)
        workersAlive = Meter(label: "troupe_workers_alive", factory: factory)
        workerRestarts = Counter(label: "troupe_worker_restarts_total", factory: factory)
        workersLost = Counter(label: "troupe_workers_lost_total", factory: factory)
        messagesRejected = LabeledCounters(label: "troupe_messages_rejected_total", dimension: "code", factory: factory)
        handshakesRefused = LabeledCounters(label: "troupe_handshakes_refused_total", dimension: "reason", factory: factory)
        var operations: [String: Counter] = [:]
        for name in Self.stateOperationNames {
            operations[name] = Counter(label: "troupe_state_operations_total", dimensions: [("operation", name)], factory: factory)
        }
        stateOperations = operations
        otherStateOperation = Counter(label: "troupe_state_operations_total", dimensions: [("operation", "other")], factory: factory)
    }

    // MARK: Recording

    /// A task was accepted.
    func taskSubmitted() { tasksSubmitted.increment() }

    /// A task ended with a result, `duration` after it was submitted.
    func taskCompleted(after duration: Duration) {
        tasksCompleted.increment()
        taskDuration.record(duration: duration)
    }

    /// A task ended with an error of `code`, `duration` after it was submitted (nil when it
    /// never started, such as work refused after close).
    func taskFailed(code: String, after duration: Duration?) {
        tasksFailed.counter(for: code).increment()
        if let duration { taskDuration.record(duration: duration) }
    }

    /// A worker process was replaced after it died or was lost.
    func workerRestarted() { workerRestarts.increment() }

    /// A worker was declared lost for missing heartbeats.
    func workerLost() { workersLost.increment() }

    /// A message was rejected as malformed (`code`: a `WireError` code, or `unknownRequest`).
    func messageRejected(code: String) { messagesRejected.counter(for: code).increment() }

    /// A connection was refused: `keyNotAllowed` (ZAP) or `handshakeFailed` (before ZAP).
    func handshakeRefused(reason: String) { handshakesRefused.counter(for: reason).increment() }

    /// A task ended with `error` (nil: a result) `after` its submission.
    func taskEnded(error: (any Error)?, after duration: Duration) {
        guard let error else {
            taskCompleted(after: duration)
            return
        }
        // A worker's own error arrives as `.remote`; one the work threw in this process has no code.
        taskFailed(code: (error as? TroupeError)?.code.rawValue ?? "thrown", after: duration)
    }

    /// One shared-state operation was performed (or attempted).
    func stateOperation(_ name: String) {
        (stateOperations[name] ?? otherStateOperation).increment()
    }

    // MARK: Levels

    /// One source's contribution to a level (a `Meter`): it moves the meter by the change
    /// since the value it last reported, so that several sources add up.
    struct Level {
        private let meter: Meter
        private var reported = 0

        /// A contribution of 0 to `meter`.
        init(_ meter: Meter) { self.meter = meter }

        /// Reports this source's current value.
        mutating func set(_ value: Int) {
            guard value != reported else { return }
            // swift-metrics wants a positive amount either way.
            if value > reported { meter.increment(by: Double(value - reported)) } else { meter.decrement(by: Double(reported - value)) }
            reported = value
        }
    }
}
