// The supervisor on one host, workers on others, a client submitting work: the same Pool
// API, over TCP with CURVE keys. See README.md for the commands on each host.
//
//   as a worker program:  troupe worker --connect tcp://HOST:5555 ... -- distributed-pool
//   as the client:        distributed-pool --connect tcp://HOST:5555 --server-key S.pub --key C.key [--tasks N]
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Troupe

/// Where a task ran, and what it computed.
struct Report: Codable, Sendable {
    var number: Int
    var steps: Int
    var host: String
    var pid: Int32
}

/// The work: the length of a number's Collatz sequence, and where it was computed.
distributed actor Collatz: Worker {
    distributed func steps(_ number: Int) -> Report {
        var value = number, steps = 0
        while value > 1 {
            value = value % 2 == 0 ? value / 2 : 3 * value + 1
            steps += 1
        }
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Report(number: number, steps: steps, host: host, pid: getpid())
    }
}

@main
struct DistributedPool {
    static func main() async {
        do {
            try await run()
        } catch {
            print("distributed-pool: \(error)")
            exit(1)
        }
    }

    static func run() async throws {
        // A worker process started by `troupe worker` serves Collatz here and never returns.
        try await Troupe.bootstrap(workers: [Collatz.self])

        var arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            defer { arguments.removeSubrange(index...index + 1) }
            return arguments[index + 1]
        }
        guard let endpoint = option("--connect") else {
            print("usage: distributed-pool --connect tcp://HOST:PORT (--server-key SUPERVISOR.pub --key CLIENT.key | --insecure) [--tasks N] [--retryable]")
            exit(64)
        }
        let tasks = option("--tasks").flatMap { Int($0) } ?? 100
        let serverKey = option("--server-key"), key = option("--key")
        let security: ClientSecurity
        if let serverKey, let key {
            security = .curve(try KeyFiles.clientSettings(serverKey: serverKey, key: key))
        } else if arguments.contains("--insecure") {
            security = .insecure
        } else {
            print("distributed-pool: pass --server-key and --key, or --insecure on a trusted network")
            exit(64)
        }
        let retryable = arguments.contains("--retryable")

        let pool = try await Pool<Collatz>(connectingTo: endpoint, security: security)
        var byHost: [String: Int] = [:]
        var failed: [String: Int] = [:]
        var longest = Report(number: 0, steps: -1, host: "", pid: 0)
        // A task that fails throws where it comes in the sequence; the others go on.
        var results = try pool.imapUnordered(1...tasks, retryable: retryable) { worker, number in
            try await worker.steps(number)
        }.makeAsyncIterator()
        while true {
            do {
                guard let report = try await results.next() else { break }
                byHost[report.host, default: 0] += 1
                if report.steps > longest.steps { longest = report }
            } catch let error as TroupeError {
                failed[error.code.rawValue, default: 0] += 1
            }
        }
        pool.close()
        try await pool.join()
        for (host, count) in byHost.sorted(by: { $0.key < $1.key }) {
            print("\(host): \(count) tasks")
        }
        for (code, count) in failed.sorted(by: { $0.key < $1.key }) {
            print("failed (\(code)): \(count) tasks")
        }
        print("longest: \(longest.number) takes \(longest.steps) steps (computed on \(longest.host), pid \(longest.pid))")
        print("have done.")
    }
}
