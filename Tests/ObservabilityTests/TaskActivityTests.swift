import Testing
@_spi(Observability) @testable import Troupe

/// The per-second record behind `tasksPerSecond` and `activity`, on a clock of its own.
struct TaskActivityTests {
    let origin = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .milliseconds(Int(seconds * 1000)) }

    @Test func theRateIsTheLastTenSecondsAverage() {
        var activity = TaskActivity(origin: origin)
        activity.recordCompleted(50, at: at(0.5))   // 30 s before the end: outside the window
        activity.recordCompleted(20, at: at(21.2))
        activity.recordCompleted(10, at: at(30.9))
        #expect(activity.tasksPerSecond(at: at(30.95)) == 3.0)
        #expect(activity.tasksPerSecond(at: at(41.0)) == 0.0)
    }

    @Test func intervalsCoverTheLastFiveMinutesOldestFirst() throws {
        var activity = TaskActivity(origin: origin)
        activity.recordCompleted(7, at: at(100.1))
        activity.recordCompleted(5, at: at(305.0))
        activity.recordFailed(code: "workerLost", at: at(306.0))
        activity.recordFailed(code: "workerLost", at: at(309.5))
        activity.recordFailed(code: "remote", at: at(309.5))
        let intervals = activity.intervals(at: at(309.9))
        #expect(intervals.count == TaskActivity.secondsKept / TaskActivity.intervalSeconds)
        #expect(intervals.first?.secondsAgo == 300 && intervals.last?.secondsAgo == 10)
        let last = try #require(intervals.last)
        #expect(last.completed == 5 && last.failed == ["workerLost": 2, "remote": 1])
        // Second 100 is 209 s before second 309: in the interval of seconds 100 ... 109.
        #expect(intervals.map(\.completed).reduce(0, +) == 12)
        #expect(intervals[intervals.count - 1 - 20].completed == 7)
    }

    @Test func secondsOlderThanFiveMinutesAreForgotten() {
        var activity = TaskActivity(origin: origin)
        activity.recordCompleted(9, at: at(1))
        activity.recordCompleted(4, at: at(301))       // the same bucket, 300 s later
        let intervals = activity.intervals(at: at(305))
        #expect(intervals.map(\.completed).reduce(0, +) == 4)
    }

    @Test func codesBeyondTheLimitAreCountedAsOther() {
        var activity = TaskActivity(origin: origin)
        for index in 0..<(TaskActivity.codeLimit + 3) { activity.recordFailed(code: "code\(index)", at: at(1)) }
        let failed = activity.intervals(at: at(1)).last?.failed ?? [:]
        #expect(failed.count == TaskActivity.codeLimit + 1)
        #expect(failed["other"] == 3)
    }
}
