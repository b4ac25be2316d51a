import Troupe
import TroupeDashboard

/// Sources/TroupeDashboard/TroupeDashboard.docc/TroupeDashboard.md
enum TroupeDashboardArticle {
    typealias Greeter = ObservabilityArticle.Greeter

    struct App {
        static func main() async throws {
            try await Troupe.bootstrap(workers: [Greeter.self])
            let pool = try await Pool<Greeter>(processes: 4)
            let dashboard = try Dashboard(pool: pool, address: HTTPAddress("127.0.0.1:8265"))
            try await dashboard.run()
        }
    }
}
