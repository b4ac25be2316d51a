import Troupe

/// Sources/Troupe/Troupe.docc/Architecture.md
enum ArchitectureArticle {
    typealias Greeter = ObservabilityArticle.Greeter

    static func onePoolApply(pool: Pool<Greeter>) async throws -> String {
        let greeting = try await pool.apply { try await $0.greet("hello") }
        return greeting
    }
}
