import TroupePlatform
import Troupe

/// The worker every benchmark uses: trivial work, so that what is measured is Troupe.
distributed actor BenchWorker: Worker {
    distributed func nothing() {}

    distributed func square(_ x: Int) -> Int { x * x }

    distributed func squares(_ xs: [Int]) -> [Int] { xs.map { $0 * $0 } }

    /// How many numbers it was sent (the payload figure: the work is the transfer).
    distributed func count(_ values: [Double]) -> Int { values.count }

    /// How many bytes it was sent.
    distributed func count(bytes: [UInt8]) -> Int { bytes.count }

    /// `calls` word-count batches of `keys` distinct words each, added to `counts` in one
    /// atomic step per batch; returns when it started and ended.
    distributed func countWords(_ counts: SharedDictionary<String, Int>, calls: Int, keys: Int, vocabulary: Int) async throws -> Span {
        let words = (0..<vocabulary).map { "w\($0)" }
        let start = monotonicNanoseconds()
        for call in 0..<calls {
            var batch: [String: Int] = [:]
            batch.reserveCapacity(keys)
            for index in 0..<keys { batch[words[(call * keys + index) % vocabulary]] = 1 }
            try await counts.increment(batch)
        }
        return Span(start: start, end: monotonicNanoseconds(), operations: calls * keys)
    }

    /// The worker's process id.
    distributed func pid() -> Int32 { getpid() }

    /// Sleeps: a task to kill its worker under.
    distributed func sleep(milliseconds: Int) async throws {
        try await Task.sleep(for: .milliseconds(milliseconds))
    }

    /// `count` dictionary operations on keys of its own (alternately `set` and `get`, as
    /// Python's `d[k] = i; d[k]`), `concurrency` in flight; returns when it started and
    /// ended on the system-wide monotonic clock, so that the parent can add up two workers.
    distributed func hammer(_ dictionary: SharedDictionary<Int, Int>, base: Int, count: Int,
                            concurrency: Int) async throws -> Span {
        let start = monotonicNanoseconds()
        if concurrency <= 1 {
            for i in 0..<count / 2 {
                try await dictionary.set(base + i, to: i)
                guard try await dictionary.get(base + i) == i else { throw BenchFailure("wrong value read back") }
            }
        } else {
            try await inFlight(count / 2, concurrency: concurrency) { i in
                try await dictionary.set(base + i, to: i)
                guard try await dictionary.get(base + i) == i else { throw BenchFailure("wrong value read back") }
            }
        }
        return Span(start: start, end: monotonicNanoseconds(), operations: (count / 2) * 2)
    }

    /// `times` atomic increments spread over the array, `concurrency` in flight.
    distributed func bump(_ array: SharedArray<Int64>, times: Int, concurrency: Int) async throws -> Span {
        let start = monotonicNanoseconds()
        let length = array.count
        if concurrency <= 1 {
            for i in 0..<times { try await array.increment(at: i % length, by: 1) }
        } else {
            try await inFlight(times, concurrency: concurrency) { i in _ = try await array.increment(at: i % length, by: 1) }
        }
        return Span(start: start, end: monotonicNanoseconds(), operations: times)
    }
}

/// When a worker's loop ran, on CLOCK_MONOTONIC (the same clock in every process).
struct Span: Codable, Sendable {
    var start: Int64
    var end: Int64
    var operations: Int
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// CLOCK_MONOTONIC in nanoseconds: comparable between processes, unlike a Swift clock instant.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Runs `body(0..<count)` with at most `concurrency` calls in flight.
func inFlight(_ count: Int, concurrency: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        while next < min(concurrency, count) {
            let i = next
            group.addTask { try await body(i) }
            next += 1
        }
        for try await _ in group where next < count {
            let i = next
            group.addTask { try await body(i) }
            next += 1
        }
    }
}
