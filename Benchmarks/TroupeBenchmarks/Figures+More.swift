import TroupePlatform
import Troupe

extension Figures {
    /// Word-count increments: two worker processes add 1,000-word batches to one shared
    /// dictionary (the owner in its own process), one atomic call per batch: words/s.
    static func wordCount(_ arguments: Arguments, _ report: Report) async throws {
        let calls = try arguments.int("calls", default: 200)
        let keys = try arguments.int("keys", default: 1000)
        let vocabulary = try arguments.int("vocabulary", default: 5000)
        let manager = try await Manager.startOwnerProcess()
        let counts: SharedDictionary<String, Int> = try await manager.dictionary()
        let clients = [try await ActorProcess.start(BenchWorker.self), try await ActorProcess.start(BenchWorker.self)]
        for client in clients { _ = try await client.actor.countWords(counts, calls: 5, keys: keys, vocabulary: vocabulary) }
        try await counts.removeAll()
        async let first = clients[0].actor.countWords(counts, calls: calls, keys: keys, vocabulary: vocabulary)
        async let second = clients[1].actor.countWords(counts, calls: calls, keys: keys, vocabulary: vocabulary)
        let rate = aggregate(try await [first, second])
        let total = try await counts.values().reduce(0, +)
        guard total == 2 * calls * keys else { throw BenchFailure("lost increments: \(total) != \(2 * calls * keys)") }
        report.record("wordcount.keys", "keys/s",
                      "shared dict add(\(keys) words) from 2 processes x \(calls) calls, one atomic call per batch, aggregate",
                      rate)
        for client in clients { await client.stop() }
        await manager.shutdown()
    }

    /// Large payloads: `map` over 64 items of 8 MiB each, as `[Double]` and as `[UInt8]`, to
    /// a pool of 2: MB/s. Also this machine's `memcpy` rate, the ceiling of any copy.
    static func payload(_ arguments: Arguments, _ report: Report) async throws {
        let items = try arguments.int("items", default: 64)
        let megabytes = try arguments.int("mib", default: 8)
        let size = megabytes << 20
        let pool = try await Pool<BenchWorker>(processes: 2)
        try await warm(pool)
        let doubles = [Double](repeating: 1.5, count: size / 8)
        let bytes = [UInt8](repeating: 7, count: size)
        let doubleItems = Array(repeating: doubles, count: items)
        let byteItems = Array(repeating: bytes, count: items)
        _ = try await pool.map(doubleItems.prefix(2)) { try await $0.count($1) }
        var start = clock.now
        let counted = try await pool.map(doubleItems) { try await $0.count($1) }
        let doubleTime = clock.now - start
        guard counted.allSatisfy({ $0 == size / 8 }) else { throw BenchFailure("payload map lost elements") }
        start = clock.now
        let countedBytes = try await pool.map(byteItems) { try await $0.count(bytes: $1) }
        let byteTime = clock.now - start
        guard countedBytes.allSatisfy({ $0 == size }) else { throw BenchFailure("payload map lost bytes") }
        try await finish(pool)
        let total = Double(items * size) / 1e6
        report.record("payload.doubles", "MB/s", "map over \(items) items of \(megabytes) MiB [Double], pool of 2", total / doubleTime.seconds)
        report.record("payload.bytes", "MB/s", "map over \(items) items of \(megabytes) MiB [UInt8], pool of 2", total / byteTime.seconds)

        // The ceiling: one memcpy of every item, in this process.
        var target = [UInt8](repeating: 0, count: size)
        start = clock.now
        for _ in 0..<items {
            target.withUnsafeMutableBytes { to in bytes.withUnsafeBytes { from in to.copyMemory(from: from) } }
        }
        let copyTime = clock.now - start
        guard target[size - 1] == 7 else { throw BenchFailure("memcpy did not copy") }
        report.record("payload.memcpy", "MB/s", "memcpy of \(items) x \(megabytes) MiB in one process (the ceiling)", total / copyTime.seconds)
    }

    /// Trivial tasks through a standalone supervisor on loopback (TCP, no CURVE), with one
    /// node agent running 2 worker processes, and the same tasks on a local pool of 2 in
    /// the same run: tasks/s.
    static func supervisor(_ arguments: Arguments, _ report: Report) async throws {
        let tasks = try arguments.int("tasks", default: 20_000)
        let server = try BrokerServer(BrokerConfiguration(bind: "tcp://127.0.0.1:*", security: .insecure))
        let program = try ownPath()
        let agent = NodeAgent(NodeAgent.Configuration(supervisor: server.endpoint, processes: 2, program: program, keyFiles: nil))
        let agentRun = Task { try await agent.run() }
        let client = try BrokerClient(endpoint: server.endpoint, security: .insecure)
        // Both workers registered.
        while try await client.status().workers.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
        let remote = try await Pool<BenchWorker>(connectingTo: server.endpoint, security: .insecure)
        for i in 0..<500 { _ = try await remote.apply { try await $0.square(i) } }
        var start = clock.now
        let results = try (0..<tasks).map { i in try remote.applyAsync { try await $0.square(i) } }
        for (i, result) in results.enumerated() where try await result.get() != i * i { throw BenchFailure("wrong square") }
        let remoteRate = Double(tasks) / (clock.now - start).seconds
        remote.close()
        try await remote.join()
        try await client.stop(now: false)
        _ = try? await agentRun.value
        await server.wait()

        let local = try await Pool<BenchWorker>(processes: 2)
        try await warm(local)
        start = clock.now
        let localResults = try (0..<tasks).map { i in try local.applyAsync { try await $0.square(i) } }
        for result in localResults { _ = try await result.get() }
        let localRate = Double(tasks) / (clock.now - start).seconds
        try await finish(local)
        report.record("supervisor.loopback", "tasks/s", "applyAsync x\(tasks) through a loopback supervisor, 2 worker processes", remoteRate)
        report.record("supervisor.local", "tasks/s", "applyAsync x\(tasks) on a local pool of 2, same run", localRate)
    }

    /// This program's path.
    static func ownPath() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let length = readlink("/proc/self/exe", &buffer, 4096)
        guard length > 0 else { throw BenchFailure("cannot read /proc/self/exe") }
        return String(decoding: buffer[..<length], as: UTF8.self)
    }
}

