// The third of five Python `multiprocessing` programs ported to Troupe: a pool of 4
// processes, three tasks whose results are collected with get() once the pool is closed and
// joined.
//
// Python:
//     pool = multiprocessing.Pool(processes=4)
//     result = [pool.apply_async(func, ("hello %d" % i,)) for i in range(3)]
//     pool.close(); pool.join()
//     for res in result: print(res.get())
//     print("have done.")
import Troupe

/// The work: prints the message, takes three seconds, and returns a result.
distributed actor Messenger: Worker {
    distributed func handle(_ message: String) async throws -> String {
        print("msg : \(message)")
        try await Task.sleep(for: .seconds(3))
        print("end")
        return "multi_result : " + message
    }
}

@main
struct PoolResults {
    static func main() async throws {
        try await Troupe.bootstrap(workers: [Messenger.self])

        let pool = try await Pool<Messenger>(processes: 4)
        var results: [AsyncResult<String>] = []
        for i in 0..<3 {
            let message = "hello \(i)"
            results.append(try pool.applyAsync { try await $0.handle(message) })
        }
        pool.close()
        try await pool.join()
        for result in results {
            print(try await result.get())
        }
        print("have done.")
    }
}
