import ArgumentParser
import Troupe

/// `troupe status`: the supervisor's workers and queue.
struct Status: TroupeSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the supervisor's hosts, workers and queue.")

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        _ = try connection.resolve(environment: true)
    }

    @Flag(name: .long, help: "Print JSON, for scripts.")
    var json = false

    @Flag(name: .long, help: "Refresh until interrupted.")
    var watch = false

    @Option(name: .long, help: "Seconds between refreshes with --watch.")
    var interval: Double = 1

    @Option(name: .long, help: "Seconds to wait for the supervisor to answer.")
    var timeout: Double = 5

    func runCommand() async throws {
        let connection = try self.connection.resolve(environment: true)
        let client = try BrokerClient(endpoint: connection.endpoint, security: try connection.security())
        repeat {
            let status: BrokerStatus
            do {
                status = try await client.status(timeout: .milliseconds(Int(timeout * 1000)))
            } catch let error as TroupeError {
                throw fail(error.message)
            }
            if watch && isTerminal(1) { print("\u{1B}[H\u{1B}[2J", terminator: "") }
            print(json ? StatusFormat.json(status) : StatusFormat.table(status))
            if watch { try await Task.sleep(for: .milliseconds(Int(interval * 1000))) }
        } while watch
    }
}
