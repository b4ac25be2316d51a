import Troupe

/// Sources/Troupe/Troupe.docc/Security.md
enum SecurityArticle {
    typealias Collatz = RunningAcrossHostsArticle.Collatz

    static func insecure() async throws -> Pool<Collatz> {
        let pool = try await Pool<Collatz>(connectingTo: "tcp://10.0.0.5:5555", security: .insecure)
        return pool
    }
}
