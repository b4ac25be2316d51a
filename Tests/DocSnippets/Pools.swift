import Troupe

/// Sources/Troupe/Troupe.docc/Pools.md
enum PoolsArticle {
    distributed actor Messenger: Worker {
        distributed func handle(_ message: String) -> String { message }
        distributed func load(_ path: String) -> [UInt8] { Array(path.utf8) }
        distributed func resize(_ image: [UInt8], to width: Int) -> Int { min(image.count, width) }
        distributed func square(_ n: Int) -> Int { n * n }
        distributed func wordCount(_ text: String) -> Int { text.split(separator: " ").count }
        distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
        distributed func thumbnail(_ path: String) -> [UInt8] { Array(path.utf8.prefix(8)) }
    }

    static func overview() async throws {
        let pool = try await Pool<Messenger>(processes: 4)
        var results: [AsyncResult<String>] = []
        for i in 0..<3 {
            results.append(try pool.applyAsync { try await $0.handle("hello \(i)") })
        }
        pool.close()
        try await pool.join()
        for result in results { print(try await result.get()) }
    }

    static func workIsAClosure(pool: Pool<Messenger>, path: String) async throws -> Int {
        let size = try await pool.apply { worker in
            let image = try await worker.load(path)          // runs in the worker process
            return try await worker.resize(image, to: 640)   // same worker, same task
        }
        return size
    }

    static func mapping(pool: Pool<Messenger>, paths: [String]) async throws {
        let squares = try await pool.map(1...10_000) { worker, n in try await worker.square(n) }

        let counts = try pool.imap(paths) { worker, path in try await worker.wordCount(path) }
        for try await count in counts {
            print(count)     // in input order, as soon as each is ready
        }

        let sums = try await pool.starmap([(1, 2), (3, 4)]) { worker, a, b in try await worker.add(a, b) }
        _ = (squares, sums)
    }

    static func mapWithTimeout(pool: Pool<Messenger>, paths: [String]) async throws -> [[UInt8]] {
        let thumbnails = try await pool.map(paths, timeout: .seconds(30)) { try await $0.thumbnail($1) }
        return thumbnails
    }

    static func mapResults(pool: Pool<Messenger>, paths: [String]) async throws {
        let outcomes = try await pool.mapResults(paths) { try await $0.wordCount($1) }
        for case .failure(let error) in outcomes {
            if let error = error as? TroupeError, let item = error.context["item"] {
                print("\(paths[Int(item)!]): \(error.code), \(error.message)")
            }
        }
    }

    static func streamingInput(pool: Pool<Messenger>) async throws {
        let (lines, input) = AsyncStream.makeStream(of: String.self)
        let counts = try pool.imapUnordered(lines) { try await $0.wordCount($1) }
        Task {
            for line in ["a b", "c d e"] { input.yield(line) }
            input.finish()
        }
        for try await count in counts { print(count) }    // in the order they finish
    }

    static func nextWithTimeout(pool: Pool<Messenger>, paths: [String]) async throws {
        var results = try pool.imap(paths) { try await $0.wordCount($1) }.makeAsyncIterator()
        while true {
            do {
                guard let count = try await results.next(timeout: .seconds(1)) else { break }
                print(count)
            } catch let error as TroupeError where error.code == .timeout {
                print("still working…")
            }
        }
    }

    static func starmapAsync(pool: Pool<Messenger>) async throws -> [Int] {
        let later = try pool.starmapAsync([(1, 2), (3, 4)]) { try await $0.add($1, $2) }
        later.whenReady { outcome in print(outcome) }
        let sums = try await later.get()
        return sums
    }

    static func cancellingAMap(pool: Pool<Messenger>) async throws -> Result<[Int], any Error> {
        let job = Task { try await pool.map(1...1_000_000) { try await $0.square($1) } }
        job.cancel()                       // queued items dropped, running ones cancelled
        let outcome = await job.result     // .failure: TroupeError .cancelled
        return outcome
    }

    static func chunkSize() async throws -> [Int] {
        let pool = try await Pool<Squarer>(processes: 2)   // the article's pool, of the Squarer below
        distributed actor Squarer: Worker {
            distributed func squares(_ numbers: [Int]) -> [Int] { numbers.map { $0 * $0 } }
        }
        let squares = try await pool.mapChunks(Array(1...1_000_000)) { try await $0.squares($1) }
        return squares
    }

    static func progress(pool: Pool<Messenger>, numbers: [Int]) async throws -> [Int] {
        let squares = try await pool.map(numbers, progress: .terminal(label: "squares")) { try await $0.square($1) }
        return squares
    }

    static func status(pool: Pool<Messenger>) {
        let status = pool.status()
        print("\(status.running) running, \(status.prefetched) prefetched, \(status.queued) queued")
        for worker in status.workers where worker.restarts > 0 {
            print("worker \(worker.position) was replaced \(worker.restarts) times; last exit: \(worker.lastExit.map { "\($0)" } ?? "-")")
        }
    }
}

// The scoped form, from an entry point: this target's one.
distributed actor Squarer: Worker {
    distributed func square(_ n: Int) -> Int { n * n }
}

@main struct App {
    static func main() async throws {
        try await Troupe.bootstrap(workers: [Squarer.self])
        try await withPool(of: Squarer.self, processes: 2) { pool in
            let squares = try await pool.map(1...10) { try await $0.square($1) }
            print(squares.reduce(0, +))   // 385
        }
    }
}
