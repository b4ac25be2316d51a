import Troupe

/// Sources/Troupe/Troupe.docc/FromPythonMultiprocessing.md
enum FromPythonMultiprocessingArticle {
    distributed actor Calculator: Worker {
        distributed func f(_ x: Int) -> Int { x * x }
        distributed func pow(_ base: Int, _ exponent: Int) -> Int {
            (0..<exponent).reduce(1) { result, _ in result * base }
        }
    }

    struct Main {
        static func main() async throws {
            try await Troupe.bootstrap(workers: [Calculator.self])
            try await withPool(of: Calculator.self, processes: 4, maxTasksPerChild: 100) { pool in
                print(try await pool.map(0..<10) { try await $0.f($1) })
                var it = try pool.imap(0..<10) { try await $0.f($1) }.makeAsyncIterator()
                print(try await it.next(timeout: .seconds(1)) ?? 0)
                try pool.applyAsync { try await $0.f(10) }.whenReady { result in
                    switch result {
                    case .success(let value): print(value)      // callback
                    case .failure(let error): print(error)      // error_callback
                    }
                }
                print(try await pool.starmapAsync([(2, 3), (3, 2)]) { try await $0.pow($1, $2) }.get(timeout: .seconds(1)))
            }   // close() and join(), as pool.close(); pool.join()
        }
    }

    static func managers() async throws {
        let manager = try Manager()
        let counts: SharedDictionary<String, Int> = try await manager.dictionary()   // Manager().dict()
        let array = try await manager.array([11, 22, 33, 44] as [Int32])              // Array('i', [...])
        let lock = try await manager.lock()                                           // Lock()
        let queue = try await manager.queue(of: String.self)                          // Queue()

        try await lock.withLock {                                                     // with lock:
            _ = try await counts.increment("done", by: 1)                             //     d["done"] += 1
        }
        try await queue.put("job 1")                                                  // q.put("job 1")
        print(try await queue.get(timeout: .seconds(1)), try await array[0])          // q.get(timeout=1), arr[0]
    }
}
