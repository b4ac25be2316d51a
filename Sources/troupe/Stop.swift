import ArgumentParser
import Troupe

/// `troupe stop`: close (or terminate) the deployment.
struct Stop: TroupeSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop the deployment: queued work finishes, workers leave, the supervisor exits.")

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        _ = try connection.resolve(environment: true)
    }

    @Flag(name: .long, help: "Terminate now: running and queued work fails.")
    var now = false

    @Option(name: .long, help: "Seconds to wait for the supervisor to confirm.")
    var timeout: Double = 60

    func runCommand() async throws {
        let connection = try self.connection.resolve(environment: true)
        let client = try BrokerClient(endpoint: connection.endpoint, security: try connection.security())
        do {
            _ = try await client.status(timeout: .seconds(5))
            try await client.stop(now: now, timeout: .milliseconds(Int(timeout * 1000)))
        } catch let error as TroupeError {
            throw fail("cannot stop the deployment: \(error.message)")
        }
        print("stopped \(connection.endpoint)")
    }
}
