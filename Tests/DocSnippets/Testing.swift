import Foundation
import Testing
import Troupe
import TroupeTesting

/// Sources/Troupe/Troupe.docc/Testing.md. The reader's package has a library
/// `PrimeWorkers`, a program `PrimeWorkersHost` and a test target; here all three are this
/// namespace.
struct TestingArticle {
    /// Counts primes in a worker process.
    public distributed actor PrimeCounter: Worker {
        public init(actorSystem: ActorSystem) {
            self.actorSystem = actorSystem
        }

        /// How many primes lie in `range`, by trial division.
        public distributed func countPrimes(in range: ClosedRange<Int>) -> Int {
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
    }

    /// `PrimeWorkersHost`'s `main.swift`.
    static func hostMain() async throws {
        // Serves the worker types of PrimeWorkers; started by the tests, never by hand.
        try await Troupe.bootstrap(workers: [PrimeCounter.self])
        print("PrimeWorkersHost serves worker processes; it is not meant to be run by hand.")
    }

    @Suite(.serialized)
    struct PrimeCounterTests {
        init() {
            // The test bundle cannot be a worker: start PrimeWorkersHost, built beside it.
            let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            Troupe.workerExecutable = buildFolder.appendingPathComponent("PrimeWorkersHost").path
        }

        @Test func countsThePrimesBelowOneHundred() async throws {
            let pool = try await Pool<PrimeCounter>(processes: 2)
            let count = try await pool.apply { try await $0.countPrimes(in: 0...99) }
            #expect(count == 25)
            pool.close()
            try await pool.join()
        }

        @Test func mapsInOrder() async throws {
            try await withPool(of: PrimeCounter.self, processes: 2) { pool in
                let counts = try await pool.map([0...9, 10...19, 20...29]) { try await $0.countPrimes(in: $1) }
                #expect(counts == [4, 4, 2])
            }
        }
    }

    distributed actor Squarer: Worker {
        distributed func square(_ n: Int) -> Int { n * n }
    }

    @Test func squaresInMemory() async throws {
        let cluster = try InMemoryCluster(workers: [Squarer.self])
        let pool = try await Pool<Squarer>(processes: 2, system: cluster.system)
        #expect(try await pool.apply { try await $0.square(3) } == 9)
        pool.close()
        try await pool.join()
    }
}
