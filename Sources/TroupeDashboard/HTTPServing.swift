import TroupePlatform
import Hummingbird
import Logging
import NIOCore
import Troupe

/// Runs a router's HTTP server at an address, and tells `report` where it listens or why it
/// could not.
enum HTTPServing {
    static func run(_ router: Router<BasicRequestContext>, at address: HTTPAddress, report: BindingReport,
                    logger: Logger, name: String) async throws {
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in report.listening(channel) },
            logger: logger)
        do {
            try await app.run()
            report.failed(TroupeError(.closed, "\(name) stopped"))
        } catch {
            // A socket error says it best in the system's words: "Address already in use".
            let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
            report.failed(TroupeError(.system, "\(name) cannot listen on \(address): \(reason)", context: ["address": "\(address)"]))
            throw error
        }
    }
}
