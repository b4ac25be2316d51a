import TroupePlatform
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// `troupe supervisor --dashboard` and `--metrics`: what they refuse, and a port that is
    /// taken. What they serve is checked in a browser by Tests/Dashboard/run.py.
    @Suite struct DashboardCLI {
        @Test("an address other hosts can reach needs --dashboard-public or --metrics-public, and the refusal names it")
        func publicAddressesNeedTheirFlag() async throws {
            let cases: [(arguments: [String], says: String)] = [
                (["--dashboard", "0.0.0.0:8265"], "--dashboard-public"),
                (["--metrics", "[::]:9464"], "--metrics-public"),
                (["--dashboard", "127.0.0.1:8265", "--metrics", "10.1.2.3:9464"], "--metrics-public"),
                (["--dashboard-public"], "--dashboard HOST:PORT"),
                (["--dashboard", "8265"], "127.0.0.1:8265"),
            ]
            for (arguments, says) in cases {
                let run = try await CLIHarness.troupe(["supervisor", "--bind", "tcp://127.0.0.1:*", "--insecure"] + arguments,
                                                      timeout: .seconds(10))
                #expect(run.status == .exited(64), "\(arguments): \(run)")
                #expect(run.error.contains(says), "\(arguments) should say \(says):\n\(run.error)")
            }
        }

        @Test("a dashboard port that is taken: one line that says so, exit code 1, no supervisor left running")
        func takenPort() async throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let listening = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                    bind(descriptor, sockaddr, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, sockaddr, &length) == 0
                }
            }
            try #require(listening)
            let port = Int(UInt16(bigEndian: address.sin_port))
            let run = try await CLIHarness.troupe(["supervisor", "--bind", "tcp://127.0.0.1:*", "--insecure",
                                                   "--dashboard", "127.0.0.1:\(port)"], timeout: .seconds(20))
            #expect(run.status == .exited(1), "\(run)")
            #expect(!run.timedOut)
            #expect(run.error.contains("the dashboard cannot listen on 127.0.0.1:\(port)"), "\(run.error)")
        }
    }
}
