import Troupe

/// Sources/Troupe/Troupe.docc/Troupe.md
enum TroupeArticle {
    distributed actor Greeter: Worker {
        distributed func greet(_ name: String) async throws -> String {
            "multi_result : hello " + name
        }
    }

    struct App {
        static func main() async throws {
            // Python's `if __name__ == "__main__"`: a worker process serves here and never returns.
            try await Troupe.bootstrap(workers: [Greeter.self])

            let pool = try await Pool<Greeter>(processes: 4)
            let results = try (0..<3).map { i in try pool.applyAsync { try await $0.greet("\(i)") } }
            pool.close()
            try await pool.join()
            for result in results { print(try await result.get()) }
        }
    }
}
