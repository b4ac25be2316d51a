/// What finished over the last minutes, second by second: requests done and failures by
/// error code. The supervisor keeps one for its status's `tasksPerSecond` and `activity`; a
/// dashboard of a local pool keeps one from the pool's counts.
@_spi(Observability)
public struct TaskActivity: Sendable {
    /// How far back it remembers.
    public static let secondsKept = 300
    /// The length of one interval of ``intervals(at:)``.
    public static let intervalSeconds = 10
    /// The window ``tasksPerSecond(at:)`` averages over.
    public static let rateSeconds = 10
    /// At most this many error codes are told apart; further ones are counted as `other`.
    static let codeLimit = 16

    private struct Second {
        var stamp: Int64 = -1
        var completed = 0
        var failed: [String: Int] = [:]
    }

    private let origin: ContinuousClock.Instant
    private var seconds: [Second]
    private var codes: Set<String> = []

    /// An empty record, whose seconds count from `origin`.
    /// - Parameter origin: the start of its first second.
    public init(origin: ContinuousClock.Instant = .now) {
        self.origin = origin
        seconds = Array(repeating: Second(), count: Self.secondsKept)
    }

    private func stamp(_ instant: ContinuousClock.Instant) -> Int64 {
        (instant - origin).components.seconds
    }

    /// The bucket of `stamp`, emptied first when it still holds an older second.
    private mutating func bucket(_ stamp: Int64) -> Int {
        let index = Int(stamp % Int64(Self.secondsKept))
        if seconds[index].stamp != stamp { seconds[index] = Second(stamp: stamp) }
        return index
    }

    /// Counts requests done at `instant`.
    /// - Parameters:
    ///   - count: how many.
    ///   - instant: when.
    public mutating func recordCompleted(_ count: Int = 1, at instant: ContinuousClock.Instant) {
        guard count > 0 else { return }
        let index = bucket(stamp(instant))
        seconds[index].completed += count
    }

    /// Counts one request that failed with `code` at `instant`.
    /// - Parameters:
    ///   - code: the error's code, such as `workerLost`.
    ///   - instant: when.
    public mutating func recordFailed(code: String, at instant: ContinuousClock.Instant) {
        var key = code
        if !codes.contains(code) {
            if codes.count < Self.codeLimit { codes.insert(code) } else { key = "other" }
        }
        let index = bucket(stamp(instant))
        seconds[index].failed[key, default: 0] += 1
    }

    /// Requests done per second over the last ``rateSeconds`` seconds up to `now`.
    /// - Parameter now: the end of the window.
    /// - Returns: the average rate.
    public func tasksPerSecond(at now: ContinuousClock.Instant) -> Double {
        let last = stamp(now)
        var total = 0
        for second in (last - Int64(Self.rateSeconds) + 1)...last where second >= 0 {
            let entry = seconds[Int(second % Int64(Self.secondsKept))]
            if entry.stamp == second { total += entry.completed }
        }
        return Double(total) / Double(Self.rateSeconds)
    }

    /// The last ``secondsKept`` seconds up to `now` in intervals of ``intervalSeconds``,
    /// oldest first; the last interval ends with the current second.
    /// - Parameter now: the end of the last interval.
    /// - Returns: ``secondsKept`` / ``intervalSeconds`` intervals.
    public func intervals(at now: ContinuousClock.Instant) -> [BrokerStatus.Activity] {
        let last = stamp(now)
        let count = Self.secondsKept / Self.intervalSeconds
        var result: [BrokerStatus.Activity] = []
        result.reserveCapacity(count)
        for interval in 0..<count {
            let end = last - Int64((count - 1 - interval) * Self.intervalSeconds)
            var activity = BrokerStatus.Activity(secondsAgo: Int(last - end) + Self.intervalSeconds, completed: 0, failed: [:])
            for second in (end - Int64(Self.intervalSeconds) + 1)...end where second >= 0 {
                let entry = seconds[Int(second % Int64(Self.secondsKept))]
                guard entry.stamp == second else { continue }
                activity.completed += entry.completed
                for (code, failures) in entry.failed { activity.failed[code, default: 0] += failures }
            }
            result.append(activity)
        }
        return result
    }
}
