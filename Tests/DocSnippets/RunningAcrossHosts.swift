import Troupe

/// Sources/Troupe/Troupe.docc/RunningAcrossHosts.md
enum RunningAcrossHostsArticle {
    distributed actor Collatz: Worker {
        distributed func steps(_ n: Int) -> Int {
            var n = n, steps = 0
            while n > 1 { n = n % 2 == 0 ? n / 2 : 3 * n + 1; steps += 1 }
            return steps
        }
    }

    static func client() async throws -> [Int] {
        let security = ClientSecurity.curve(
            try KeyFiles.clientSettings(serverKey: "keys/supervisor.pub", key: "keys/client.key"))
        let pool = try await Pool<Collatz>(connectingTo: "tcp://SUPERVISOR:5555", security: security)
        let reports = try await pool.map(1...10_000) { try await $0.steps($1) }
        pool.close()
        try await pool.join()
        return reports
    }
}
