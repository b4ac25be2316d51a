import Foundation
import Troupe

/// Sources/Troupe/Troupe.docc/GettingStarted.md
enum GettingStartedArticle {
    /// The work. Its distributed functions run in a worker process.
    distributed actor PrimeCounter: Worker {
        /// How many primes lie in `range`, by trial division.
        distributed func countPrimes(in range: ClosedRange<Int>) -> Int {
            range.filter { n in
                guard n >= 2 else { return false }
                var divisor = 2
                while divisor * divisor <= n {
                    if n % divisor == 0 { return false }
                    divisor += 1
                }
                return true
            }.count
        }

        /// The id of the process this actor lives in.
        distributed func processID() -> Int32 {
            ProcessInfo.processInfo.processIdentifier
        }
    }

    struct Primes {
        static func main() async throws {
            // In a worker process, this line serves PrimeCounter and never returns.
            try await Troupe.bootstrap(workers: [PrimeCounter.self])

            let pool = try await Pool<PrimeCounter>(processes: 4)

            // One task, awaited: Python's pool.apply.
            let workerPID = try await pool.apply { try await $0.processID() }
            print("parent \(ProcessInfo.processInfo.processIdentifier), one worker \(workerPID)")

            // Many tasks, spread over the workers, results in order: Python's pool.map.
            let ranges = stride(from: 0, to: 1_000_000, by: 100_000).map { $0...($0 + 99_999) }
            let counts = try await pool.map(ranges) { worker, range in
                try await worker.countPrimes(in: range)
            }
            print("primes per 100,000:", counts)
            print("primes below 1,000,000:", counts.reduce(0, +))

            // A result to collect later: Python's pool.apply_async.
            let later = try pool.applyAsync { try await $0.countPrimes(in: 1_000_000...1_099_999) }

            pool.close()           // no more work
            try await pool.join()  // wait for the queued work and the workers' exit
            print("primes from 1,000,000 to 1,099,999:", try await later.get())
        }
    }

    static func whenSomethingGoesWrong(later: AsyncResult<Int>) async throws {
        do {
            print(try await later.get())
        } catch let error as TroupeError {
            print("task failed: \(error)")
        }
    }
}
