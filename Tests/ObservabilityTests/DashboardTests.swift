#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation
import Logging
import Testing
import Troupe
import TroupeDashboard
import TroupeTestSupport

/// The dashboard's address rules, and a dashboard of a local pool over real HTTP.
@Suite(.serialized)
struct DashboardTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func addressesAreHostColonPort() throws {
        #expect(try HTTPAddress("127.0.0.1:8265") == HTTPAddress("127.0.0.1:8265"))
        let v6 = try HTTPAddress("[::1]:0")
        #expect(v6.host == "::1" && v6.port == 0 && v6.isLoopback && v6.description == "[::1]:0")
        for loopback in ["127.0.0.1:1", "127.8.9.10:80", "localhost:8265"] { #expect(try HTTPAddress(loopback).isLoopback) }
        for reachable in ["0.0.0.0:8265", "10.0.0.5:80", "[::]:8265", "example.com:80", "127.0.0.1.example.com:80"] {
            #expect(try !HTTPAddress(reachable).isLoopback, "\(reachable)")
        }
        for bad in ["8265", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", ":8265", "http://127.0.0.1:8265"] {
            let error = #expect(throws: TroupeError.self) { try HTTPAddress(bad) }
            #expect(error?.code == .invalidArgument && error?.message.contains("127.0.0.1:8265") == true)
        }
    }

    @Test func anAddressOtherHostsCanReachNeedsAllowPublic() throws {
        let address = try HTTPAddress("0.0.0.0:0")
        let error = #expect(throws: TroupeError.self) { try Dashboard(address: address) { fatalError("not called") } }
        #expect(error?.message.contains("allowPublic") == true)
        #expect(throws: TroupeError.self) { try MetricsEndpoint(registry: .init(), address: address) }
        _ = try Dashboard(address: address, allowPublic: true) { fatalError("not called") }
    }

    @Test func aLocalPoolsDashboardServesItsStatusAsJSON() async throws {
        try await withPool(of: EchoWorker.self, processes: 2) { pool in
            for index in 0..<6 { _ = try await pool.apply { try await $0.echo("\(index)") } }
            // A crash: the position shows one restart and how its process ended.
            await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.crash() } }
            #expect(await eventually { pool.status().workers.map(\.restarts).reduce(0, +) == 1 && pool.status().workers.allSatisfy { $0.pid != nil } })

            var quiet = Logger(label: "troupe.dashboard.test")
            quiet.logLevel = .critical  // cancelling the server at the end logs an error
            let dashboard = try Dashboard(pool: pool, address: HTTPAddress("127.0.0.1:0"), refreshInterval: .milliseconds(100),
                                          logger: quiet)
            let server = Task { try await dashboard.run() }
            defer { server.cancel() }
            let base = "http://" + (try await dashboard.boundAddress())

            let (page, pageResponse) = try await URLSession.shared.data(from: URL(string: base + "/")!)
            #expect(String(decoding: page, as: UTF8.self).contains("<script src=\"dashboard.js\""))
            #expect((pageResponse as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Security-Policy")?.contains("default-src 'none'") == true)

            let (body, response) = try await URLSession.shared.data(from: URL(string: base + "/api/status")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let status = try JSONDecoder().decode(BrokerStatus.self, from: body)
            #expect(status.workers.count == 2)
            #expect(status.completed == pool.status().workers.map(\.tasksDone).reduce(0, +))
            #expect(status.completed >= 6)
            let restarted = try #require(status.workers.first { $0.restarts == 1 }, "\(status.workers)")
            #expect(restarted.lastExit?.contains("signal") == true || restarted.lastExit?.contains("exited") == true,
                    "\(restarted.lastExit ?? "nil")")
            #expect(status.workers.allSatisfy { ($0.residentBytes ?? 0) > 0 })

            let (_, missing) = try await URLSession.shared.data(from: URL(string: base + "/no-such-page")!)
            #expect((missing as? HTTPURLResponse)?.statusCode == 404)
        }
    }
}
