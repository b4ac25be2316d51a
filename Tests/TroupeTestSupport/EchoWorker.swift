import TroupePlatform
import Troupe

/// An error a test worker throws on purpose; `Codable`, so the caller can recover it.
public struct TestFailure: Error, Codable, Equatable, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
}

/// An error a test worker throws on purpose; not `Codable`.
public struct OpaqueFailure: Error, Sendable {
    public var reason: String
}

/// A value whose encoding always fails, to check how unencodable arguments and results are reported.
public struct Unencodable: Codable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(self, EncodingError.Context(codingPath: [], debugDescription: "Unencodable never encodes"))
    }
}

/// A payload with nested types, to check arguments and results round-trip.
public struct Parcel: Codable, Equatable, Sendable {
    public var name: String
    public var weights: [Double]
    public var tags: [String: Int]
    public var note: String?
    public init(name: String, weights: [Double], tags: [String: Int], note: String?) {
        self.name = name
        self.weights = weights
        self.tags = tags
        self.note = note
    }
}

/// The worker most tests use: each function exercises one behaviour of a worker process.
public distributed actor EchoWorker: Worker {
    private var calls = 0
    private var initializedWith: String?

    public init(actorSystem: ActorSystem) {
        self.actorSystem = actorSystem
    }

    distributed public func echo(_ text: String) -> String {
        calls += 1
        return text
    }

    distributed public func add(_ a: Int, _ b: Int) -> Int { a + b }

    distributed public func square(_ x: Int) -> Int { x * x }

    distributed public func squares(_ xs: [Int]) -> [Int] { xs.map { $0 * $0 } }

    distributed public func nothing() {}

    distributed public func parcel(_ parcel: Parcel) -> Parcel {
        var copy = parcel
        copy.name = parcel.name.uppercased()
        return copy
    }

    distributed public func generic<T: Codable & Sendable>(_ value: T) -> [T] { [value, value] }

    /// The worker's process id.
    distributed public func processID() -> Int32 { getpid() }

    /// The node name of the worker's actor system (one per worker, in a process or not).
    distributed public func nodeName() -> String { actorSystem.node }

    /// How many `echo` calls this worker served.
    distributed public func callCount() -> Int { calls }

    /// Records a tag, as a pool initializer would.
    distributed public func initialize(_ tag: String) { initializedWith = tag }

    /// The tag recorded by `initialize`.
    distributed public func initializedTag() -> String? { initializedWith }

    distributed public func fail(_ message: String) throws { throw TestFailure(message: message) }

    distributed public func failOpaque(_ reason: String) throws { throw OpaqueFailure(reason: reason) }

    /// Sleeps cooperatively (cancellation ends it).
    distributed public func sleep(milliseconds: Int) async throws {
        try await Task.sleep(for: .milliseconds(milliseconds))
    }

    /// Sleeps, then returns its argument: a slow task that finishes.
    distributed public func slowEcho(_ text: String, milliseconds: Int) async throws -> String {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return text
    }

    /// Busy-loops for `milliseconds`, ignoring cancellation (work that does not stop cooperatively).
    distributed public func spin(milliseconds: Int) -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let end = Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000 + milliseconds
        var iterations = 0
        repeat {
            iterations &+= 1
            clock_gettime(CLOCK_MONOTONIC, &now)
        } while Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000 < end
        return iterations
    }

    /// Ends the worker process at once with `code`, mid-call.
    distributed public func exitProcess(code: Int32) { exit(code) }

    /// Counts one run of task `key` in `runs` (at the owner, so that a run is counted even if
    /// this process dies right after), and returns this process's id.
    distributed public func recordRun(_ key: Int, in runs: SharedDictionary<Int, Int>) async throws -> Int32 {
        _ = try await runs.increment(key, by: 1)
        return getpid()
    }

    /// Adds one to each of `keys` in `counts`, in one atomic step.
    distributed public func addToEach(_ keys: [String], in counts: SharedDictionary<String, Int>) async throws {
        try await counts.increment(Dictionary(uniqueKeysWithValues: keys.map { ($0, 1) }))
    }

    /// Works a little (long enough for the replies of the calls before it to leave the
    /// process), then exits with `code`: a task that crashes its worker after some work.
    distributed public func workThenExit(code: Int32) async throws {
        try await Task.sleep(for: .milliseconds(30))
        exit(code)
    }

    /// Kills the worker process with `signal`, mid-call.
    distributed public func raiseSignal(_ signal: Int32) { _ = kill(getpid(), signal) }

    /// Crashes the worker process (a Swift runtime trap).
    distributed public func crash() { fatalError("crash requested by a test") }

    /// Returns a value that cannot be encoded.
    distributed public func unencodableResult() -> Unencodable { Unencodable() }

    /// Takes an argument that cannot be encoded (it never arrives).
    distributed public func take(_ count: Int, _ value: Unencodable) -> Int { count }

    /// Allocates `megabytes` and touches every page.
    distributed public func allocate(megabytes: Int) -> Int {
        let count = megabytes << 20
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
        for index in stride(from: 0, to: count, by: 4096) { pointer[index] = 1 }
        return count
    }

    /// Reads an environment variable in the worker.
    distributed public func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

extension EchoWorker {
    /// Increments `key` `times` times, `concurrency` at a time.
    distributed public func increment(_ dictionary: SharedDictionary<String, Int>, key: String, times: Int, concurrency: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            while started < min(concurrency, times) {
                group.addTask { try await dictionary.increment(key, by: 1) }
                started += 1
            }
            for try await _ in group where started < times {
                group.addTask { try await dictionary.increment(key, by: 1) }
                started += 1
            }
        }
    }

    /// Adds 1 at `index` `times` times, `concurrency` at a time.
    distributed public func add(to array: SharedArray<Int64>, index: Int, times: Int, concurrency: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            while started < min(concurrency, times) {
                group.addTask { try await array.increment(at: index, by: 1) }
                started += 1
            }
            for try await _ in group where started < times {
                group.addTask { try await array.increment(at: index, by: 1) }
                started += 1
            }
        }
    }

    /// Runs every dictionary operation from the worker and reports what it saw.
    distributed public func exercise(_ dictionary: SharedDictionary<String, Int>) async throws -> [String] {
        var seen: [String] = []
        try await dictionary.set("a", to: 1)
        try await dictionary.update(["b": 2, "c": 3])
        seen.append("get a=\(try await dictionary.get("a") ?? -1)")
        seen.append("missing=\(try await dictionary.get("zz") == nil)")
        seen.append("contains b=\(try await dictionary.contains("b"))")
        seen.append("count=\(try await dictionary.count)")
        seen.append("keys=\(try await dictionary.keys().sorted())")
        seen.append("many=\(try await dictionary.values(for: ["a", "zz", "c"]))")
        seen.append("increment=\(try await dictionary.increment("a", by: 10))")
        let exchanged = try await dictionary.compareExchange("c", expected: 3, desired: 30)
        seen.append("cas=\(exchanged.exchanged),\(exchanged.original ?? -1)")
        seen.append("removed=\(try await dictionary.remove("b") ?? -1)")
        seen.append("snapshot=\(try await dictionary.snapshot().sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" })")
        return seen
    }

    /// Sets `array[index] = value` from the worker.
    distributed public func set(_ array: SharedArray<Int32>, index: Int, value: Int32) async throws {
        try await array.set(index, to: value)
    }

    /// Takes one element from the queue, waiting at most `milliseconds`.
    distributed public func take(from queue: SharedQueue<Int>, milliseconds: Int) async throws -> Int {
        try await queue.get(timeout: .milliseconds(milliseconds))
    }

    /// Puts `value` on the queue.
    distributed public func put(_ value: Int, on queue: SharedQueue<Int>) async throws {
        try await queue.put(value)
    }

    /// Takes the lock and then ends the process while holding it.
    distributed public func acquireAndDie(_ lock: SharedLock) async throws {
        try await lock.acquire()
        exit(9)
    }

    /// Takes the lock, waiting at most `milliseconds`; reports whether it got it, and releases it.
    distributed public func tryLock(_ lock: SharedLock, milliseconds: Int) async throws -> Bool {
        guard try await lock.acquire(timeout: .milliseconds(milliseconds)) else { return false }
        try await lock.release()
        return true
    }

    /// Reads a shared dictionary entry, as a worker holding an old proxy would.
    distributed public func read(_ dictionary: SharedDictionary<String, Int>, key: String) async throws -> Int? {
        try await dictionary.get(key)
    }
}

/// A worker type that the test worker executable does not list in its bootstrap.
public distributed actor UnlistedWorker: Worker {
    public init(actorSystem: ActorSystem) {
        self.actorSystem = actorSystem
    }

    distributed public func hello() -> String { "hello" }
}
