// A pool where some tasks crash their worker on purpose: the crashed tasks fail with a
// clear error, every other task succeeds, and the dead workers are replaced.
//
// Python's Pool hangs for ever on `get()` when a worker dies mid-task (or, with
// ProcessPoolExecutor, every pending future fails with BrokenProcessPool).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Troupe

/// Squares numbers, except a few that end its process in three different ways.
distributed actor FlakyWorker: Worker {
    distributed func square(_ n: Int) -> Int {
        switch n {
        case 3: fatalError("task 3 trips a Swift runtime trap")   // a crash
        case 10: exit(3)                                           // an error exit
        case 17: _ = kill(getpid(), SIGKILL); return -1            // what the OOM killer does
        default: return n * n
        }
    }
}

@main
struct CrashRecovery {
    static func main() async throws {
        try await Troupe.bootstrap(workers: [FlakyWorker.self])

        let pool = try await Pool<FlakyWorker>(processes: 3)
        let before = pool.status().workers.compactMap(\.pid)
        print("workers at start: \(before.map(String.init).joined(separator: ", "))")

        let results = try (0..<20).map { n in try pool.applyAsync { try await $0.square(n) } }
        var succeeded = 0
        for (n, result) in results.enumerated() {
            do {
                let value = try await result.get()
                succeeded += 1
                print("task \(n): \(value)")
            } catch let error as TroupeError where error.code == .workerCrashed {
                print("task \(n) failed: \(error.message)")
            }
        }
        print("\(succeeded) of \(results.count) tasks succeeded")

        // Replacements start in the background; wait until each position has its new process.
        while pool.status().workers.contains(where: { $0.state != .idle }) {
            try await Task.sleep(for: .milliseconds(10))
        }

        let status = pool.status()
        for worker in status.workers where worker.restarts > 0 {
            let last = worker.lastExit.map { "\($0)" } ?? "?"
            print("worker \(worker.position): replaced \(worker.restarts) time(s), last exit \(last), now pid \(worker.pid.map(String.init) ?? "-")")
        }
        pool.close()
        try await pool.join()
        print("have done.")
    }
}
