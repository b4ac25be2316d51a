// The second of five Python `multiprocessing` programs ported to Troupe: a pool of 5
// processes runs three tasks asynchronously (apply_async), or one after another with
// `--sync` (apply); then close, join, done.
//
// Python:
//     pool = multiprocessing.Pool(processes=5)
//     for i in range(3):
//         print(i); pool.apply_async(func, ("hello %d" % i,))   # or pool.apply(...)
//     pool.close(); pool.join(); print("have done.")
import Troupe

/// The work: prints its message and takes three seconds.
distributed actor Task3s: Worker {
    distributed func run(_ message: String) async throws {
        print("\(message) *** in func")
        try await Task.sleep(for: .seconds(3))
    }
}

@main
struct PoolAsync {
    static func main() async throws {
        try await Troupe.bootstrap(workers: [Task3s.self])
        let serial = CommandLine.arguments.contains("--sync")

        let pool = try await Pool<Task3s>(processes: 5)
        for i in 0..<3 {
            print(i)
            let message = "hello \(i)"
            if serial {
                // apply: waits for each task before the next starts (about 9 s in all).
                try await pool.apply { try await $0.run(message) }
            } else {
                // applyAsync: the three tasks run at once in three workers (about 3 s).
                try pool.applyAsync { try await $0.run(message) }
            }
        }
        pool.close()
        try await pool.join()
        print("have done.")
    }
}
