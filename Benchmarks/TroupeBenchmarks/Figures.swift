import TroupePlatform
import Synchronization
import Troupe

/// The benchmarks, one per figure name. Each run is one repetition: it records one value per
/// figure it measures (a fresh pool or process each time, warmed up first, so that start-up
/// is excluded unless start-up is what is measured). The peer scripts in `Benchmarks/peers/`
/// measure the same things the same way.
enum Figures {
    typealias Body = @Sendable (Arguments, Report) async throws -> Void

    static let table: [(name: String, body: Body)] = [
        ("apply", apply),
        ("apply-async", applyAsync),
        ("map", map),
        ("map-chunks", mapChunks),
        ("pool-start", poolStart),
        ("call", call),
        ("dict", dictionary),
        ("array", array),
        ("rss", rss),
        ("recovery", recovery),
        ("wordcount", wordCount),
        ("payload", payload),
        ("supervisor", supervisor),
    ]

    static var names: [String] { table.map(\.name) }

    static let clock = ContinuousClock()

    /// Both workers have run tasks: the same warm-up as the peers' (`map(sq, range(2000), chunksize=1)`).
    static func warm(_ pool: Pool<BenchWorker>) async throws {
        let out = try await pool.map(0..<2000, chunksize: 1) { try await $0.square($1) }
        guard out.last == 1999 * 1999 else { throw BenchFailure("warm-up returned wrong values") }
    }

    static func finish(_ pool: Pool<BenchWorker>) async throws {
        pool.close()
        try await pool.join()
    }

    /// Runs `body(i)` for each `i` in `0..<count`, one at a time, and times each: the
    /// latencies in µs, sorted.
    static func timed(_ count: Int, _ body: (Int) async throws -> Void) async throws -> [Double] {
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        for i in 0..<count {
            let start = clock.now
            try await body(i)
            latencies.append((clock.now - start).microseconds)
        }
        return latencies.sorted()
    }

    // MARK: Pool

    /// `apply` round trip: `calls` synchronous calls, each timed; median, p99, % over 1 ms.
    static func apply(_ arguments: Arguments, _ report: Report) async throws {
        let calls = max(1, try arguments.int("calls", default: 5_000))
        let workers = try arguments.int("workers", default: 2)
        let pool = try await Pool<BenchWorker>(processes: workers)
        try await warm(pool)
        for i in 0..<200 { _ = try await pool.apply { try await $0.square(i) } }
        let latencies = try await timed(calls) { i in
            let value = try await pool.apply { try await $0.square(i) }
            guard value == i * i else { throw BenchFailure("apply returned \(value) for \(i)") }
        }
        try await finish(pool)
        let over = Double(latencies.filter { $0 > 1000 }.count) * 100 / Double(calls)
        report.record("apply.median", "us", "pool.apply round trip, median of \(calls) calls", median(latencies))
        report.record("apply.p99", "us", "pool.apply round trip, p99 of \(calls) calls", percentile(latencies, 99))
        report.record("apply.pct_over_1ms", "%", "pool.apply round trip, % of \(calls) calls over 1 ms", over)
    }

    /// `applyAsync` of `tasks` trivial tasks, then every result: tasks/s. With `--depth N`,
    /// the pool pipelines up to N tasks per worker (``PoolOptions/pipelineDepth``).
    static func applyAsync(_ arguments: Arguments, _ report: Report) async throws {
        let tasks = try arguments.int("tasks", default: 20_000)
        let workers = try arguments.int("workers", default: 2)
        var options = PoolOptions()
        let depth = try arguments.int("depth", default: options.pipelineDepth)
        options.pipelineDepth = depth
        let pool = try await Pool<BenchWorker>(processes: workers, options: options)
        try await warm(pool)
        let start = clock.now
        let results = try (0..<tasks).map { i in try pool.applyAsync { try await $0.square(i) } }
        var last = 0
        for result in results { last = try await result.get() }
        let elapsed = clock.now - start
        try await finish(pool)
        guard last == (tasks - 1) * (tasks - 1) else { throw BenchFailure("applyAsync returned wrong values") }
        let key = depth == PoolOptions().pipelineDepth ? "apply_async.workers\(workers)" : "apply_async.workers\(workers).depth\(depth)"
        report.record(key, "tasks/s", "applyAsync x\(tasks) + get all, pool of \(workers), pipelineDepth \(depth)",
                      Double(tasks) / elapsed.seconds)
    }

    /// `map` of `items` ints with a per-item closure: items/s. `--depth N` as for apply-async.
    static func map(_ arguments: Arguments, _ report: Report) async throws {
        let items = try arguments.int("items", default: 200_000)
        let chunksize = try arguments.chunksize("chunksize")
        var options = PoolOptions()
        let depth = try arguments.int("depth", default: options.pipelineDepth)
        options.pipelineDepth = depth
        let pool = try await Pool<BenchWorker>(processes: try arguments.int("workers", default: 2), options: options)
        try await warm(pool)
        let data = Array(0..<items)
        let start = clock.now
        let out = try await pool.map(data, chunksize: chunksize) { try await $0.square($1) }
        let elapsed = clock.now - start
        try await finish(pool)
        guard out.count == items, out.last == (items - 1) * (items - 1) else { throw BenchFailure("map returned wrong values") }
        let label = (chunksize.map { "chunk\($0)" } ?? "auto") + (depth == PoolOptions().pipelineDepth ? "" : ".depth\(depth)")
        report.record("map.\(label)", "items/s",
                      "map over \(items) ints, chunksize \(chunksize.map(String.init) ?? "automatic"), pipelineDepth \(depth)",
                      Double(items) / elapsed.seconds)
    }

    /// `mapChunks` of `items` ints, one call per chunk (automatic chunk size): items/s.
    static func mapChunks(_ arguments: Arguments, _ report: Report) async throws {
        let items = try arguments.int("items", default: 200_000)
        let pool = try await Pool<BenchWorker>(processes: try arguments.int("workers", default: 2))
        try await warm(pool)
        let data = Array(0..<items)
        let start = clock.now
        let out = try await pool.mapChunks(data) { try await $0.squares($1) }
        let elapsed = clock.now - start
        try await finish(pool)
        guard out.count == items, out.last == (items - 1) * (items - 1) else { throw BenchFailure("mapChunks returned wrong values") }
        report.record("map_chunks.auto", "items/s", "mapChunks over \(items) ints, automatic chunk size",
                      Double(items) / elapsed.seconds)
    }

    /// `Pool(processes:)` until it returns (every worker ready), then close() + join(): ms.
    static func poolStart(_ arguments: Arguments, _ report: Report) async throws {
        let starts = try arguments.int("starts", default: 10)
        let workers = try arguments.int("workers", default: 2)
        for _ in 0..<starts {
            let start = clock.now
            let pool = try await Pool<BenchWorker>(processes: workers)
            let ready = clock.now
            pool.close()
            try await pool.join()
            let joined = clock.now
            report.record("pool_start.ready", "ms", "Pool(\(workers)) from the call to every worker ready", (ready - start).milliseconds)
            report.record("pool_start.close_join", "ms", "Pool(\(workers)) close() + join() after ready", (joined - ready).milliseconds)
            report.record("pool_start.total", "ms", "Pool(\(workers)) start + close() + join()", (joined - start).milliseconds)
        }
    }

    // MARK: One process

    /// Distributed calls to one child: sequential (each timed) and pipelined.
    static func call(_ arguments: Arguments, _ report: Report) async throws {
        let calls = try arguments.int("calls", default: 5_000)
        let pipelined = try arguments.int("pipelined", default: 50_000)
        let depth = try arguments.int("depth", default: 64)
        let process = try await ActorProcess.start(BenchWorker.self)
        let actor = process.actor
        for i in 0..<2_000 { _ = try await actor.square(i) }
        if calls > 0 {
            let latencies = try await timed(calls) { i in
                let value = try await actor.square(i)
                guard value == i * i else { throw BenchFailure("square returned \(value) for \(i)") }
            }
            report.record("call.median", "us", "distributed call to one child, median of \(calls)", median(latencies))
            report.record("call.p99", "us", "distributed call to one child, p99 of \(calls)", percentile(latencies, 99))
        }
        if pipelined > 0 {
            let start = clock.now
            try await inFlight(pipelined, concurrency: depth) { i in
                guard try await actor.square(i) == i * i else { throw BenchFailure("wrong square") }
            }
            report.record("call.pipelined", "calls/s", "distributed calls to one child, \(depth) in flight, \(pipelined) calls",
                          Double(pipelined) / (clock.now - start).seconds)
        }
        await process.stop()
    }

    /// Idle worker RSS: a started worker that has answered one call, after a pause.
    static func rss(_ arguments: Arguments, _ report: Report) async throws {
        let process = try await ActorProcess.start(BenchWorker.self)
        let pid = try await process.actor.pid()
        guard pid == process.pid else { throw BenchFailure("pid mismatch: \(pid) vs \(process.pid)") }
        try await Task.sleep(for: .milliseconds(try arguments.int("settle-ms", default: 300)))
        report.record("rss.idle_worker", "MiB", "VmRSS of an idle worker process", try procMebibytes(of: pid, "status", ["VmRSS"]))
        report.record("rss.idle_worker_private", "MiB", "private memory (Private_Clean + Private_Dirty) of an idle worker process",
                      try procMebibytes(of: pid, "smaps_rollup", ["Private_Clean", "Private_Dirty"]))
        await process.stop()
    }

    /// A worker killed with SIGKILL mid-task: the time until its task fails with
    /// `.workerCrashed` (Python's pool hangs for ever instead), and until a replacement
    /// worker is ready: ms. Not in the table: no peer does either.
    static func recovery(_ arguments: Arguments, _ report: Report) async throws {
        let kills = try arguments.int("kills", default: 3)
        let pool = try await Pool<BenchWorker>(processes: 2)
        try await warm(pool)
        for _ in 0..<kills {
            let victim = Mutex<Int32?>(nil)
            let task = try pool.applyAsync { worker in
                let pid = try await worker.pid()
                victim.withLock { $0 = pid }
                try await worker.sleep(milliseconds: 60_000)
            }
            while victim.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
            try await Task.sleep(for: .milliseconds(20))
            let pid = victim.withLock { $0! }
            let killed = clock.now
            _ = kill(pid, SIGKILL)
            do {
                try await task.get()
                throw BenchFailure("the task survived its worker")
            } catch let error as TroupeError where error.code == .workerCrashed {}
            let failed = clock.now
            while pool.status().workers.contains(where: { $0.state != .idle || $0.pid == pid }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            let replaced = clock.now
            report.record("recovery.detect", "ms", "SIGKILL of a busy worker until its task fails with workerCrashed", (failed - killed).milliseconds)
            report.record("recovery.replace", "ms", "SIGKILL of a busy worker until its replacement is ready", (replaced - killed).milliseconds)
        }
        try await finish(pool)
    }

    // MARK: Shared state (owner in its own process, as Python's Manager)

    static func dictionary(_ arguments: Arguments, _ report: Report) async throws {
        let ops = max(2, try arguments.int("ops", default: 10_000))
        let depth = try arguments.int("depth", default: 32)
        let batch = try arguments.int("batch", default: 10_000)
        let batches = try arguments.int("batches", default: 10)
        let manager = try await Manager.startOwnerProcess()
        let dictionary: SharedDictionary<Int, Int> = try await manager.dictionary()
        for i in 0..<100 {
            try await dictionary.set(-1 - i, to: i)
            _ = try await dictionary.get(-1 - i)
        }

        // One client (this process), sequential ops, each timed: set then get, as Python's
        // `d[k] = i; d[k]`. The same loop gives the op latency and the ops per second.
        let start = clock.now
        let latencies = try await timed(ops) { i in
            let key = 1_000_000 + i / 2
            if i % 2 == 0 {
                try await dictionary.set(key, to: i / 2)
            } else {
                let value = try await dictionary.get(key)
                guard value == i / 2 else { throw BenchFailure("dict get returned \(String(describing: value))") }
            }
        }
        let elapsed = clock.now - start
        report.record("dict.op_median", "us", "shared dict one op (set or get), parent to owner process, median of \(ops)", median(latencies))
        report.record("dict.op_p99", "us", "shared dict one op (set or get), parent to owner process, p99 of \(ops)", percentile(latencies, 99))
        report.record("dict.ops_1client", "ops/s", "shared dict set/get, 1 client (parent), \(ops) sequential ops",
                      Double(ops) / elapsed.seconds)

        // Two client processes at once, sequential ops each, then pipelined.
        let clients = [try await ActorProcess.start(BenchWorker.self), try await ActorProcess.start(BenchWorker.self)]
        for (index, client) in clients.enumerated() {
            _ = try await client.actor.hammer(dictionary, base: 10_000_000 * (index + 1), count: 200, concurrency: 1)
        }
        func both(_ count: Int, concurrency: Int, base: Int) async throws -> Double {
            async let first = clients[0].actor.hammer(dictionary, base: base, count: count, concurrency: concurrency)
            async let second = clients[1].actor.hammer(dictionary, base: base + 1_000_000, count: count, concurrency: concurrency)
            return aggregate(try await [first, second])
        }
        report.record("dict.ops_2clients", "ops/s", "shared dict set/get, 2 client processes x \(ops) sequential ops, aggregate",
                      try await both(ops, concurrency: 1, base: 30_000_000))
        report.record("dict.ops_2clients_pipelined", "ops/s",
                      "shared dict set/get, 2 client processes x \(ops * 4) ops, \(depth) set+get pairs in flight each, aggregate",
                      try await both(ops * 4, concurrency: depth, base: 40_000_000))
        for client in clients { await client.stop() }

        // Batched: update `batch` keys in one call, read them back in one call, on a fresh
        // dictionary each time (as the peer does).
        var batchTime = Duration.zero
        for b in 0..<batches {
            let fresh: SharedDictionary<Int, Int> = try await manager.dictionary()
            let keys = Array((b * batch)..<((b + 1) * batch))
            let t0 = clock.now
            try await fresh.update(keys.map { ($0, $0 &* 3) })
            let values = try await fresh.values(for: keys)
            batchTime += clock.now - t0
            guard values.count == batch, values.last == keys.last.map({ $0 &* 3 }) else { throw BenchFailure("batched read-back wrong") }
            try await fresh.removeAll()
        }
        report.record("dict.batched", "keys/s",
                      "shared dict update(\(batch) pairs) + values(for: \(batch) keys) on a fresh dict, \(batches) times: keys written + read per s",
                      Double(2 * batch * batches) / batchTime.seconds)
        await manager.shutdown()
    }

    /// Atomic increments on a shared Int64 array from two worker processes.
    static func array(_ arguments: Arguments, _ report: Report) async throws {
        let pipelinedTimes = try arguments.int("increments", default: 40_000)
        let sequentialTimes = try arguments.int("sequential", default: 5_000)
        let depth = try arguments.int("depth", default: 32)
        let manager = try await Manager.startOwnerProcess()
        let shared = try await manager.array(Array(repeating: 0, count: 1000) as [Int64])
        let clients = [try await ActorProcess.start(BenchWorker.self), try await ActorProcess.start(BenchWorker.self)]
        for client in clients { _ = try await client.actor.bump(shared, times: 200, concurrency: 8) }
        var expected: Int64 = 400

        func both(_ times: Int, concurrency: Int) async throws -> Double {
            async let first = clients[0].actor.bump(shared, times: times, concurrency: concurrency)
            async let second = clients[1].actor.bump(shared, times: times, concurrency: concurrency)
            let rate = aggregate(try await [first, second])
            expected += Int64(2 * times)
            return rate
        }
        report.record("array.incr_2procs_pipelined", "incr/s",
                      "shared Int64 array add(at:) from 2 processes x \(pipelinedTimes), \(depth) in flight each, aggregate",
                      try await both(pipelinedTimes, concurrency: depth))
        report.record("array.incr_2procs_sequential", "incr/s",
                      "shared Int64 array add(at:) from 2 processes x \(sequentialTimes), one at a time, aggregate",
                      try await both(sequentialTimes, concurrency: 1))
        let total = try await shared.snapshot().reduce(0, +)
        guard total == expected else { throw BenchFailure("lost increments: \(total) != \(expected)") }
        for client in clients { await client.stop() }
        await manager.shutdown()
    }

    /// Operations per second over two workers: all operations over first start to last end.
    static func aggregate(_ spans: [Span]) -> Double {
        let start = spans.map(\.start).min()!
        let end = spans.map(\.end).max()!
        return Double(spans.reduce(0) { $0 + $1.operations }) / (Double(end - start) / 1e9)
    }
}
