import TroupePlatform
import Foundation
import Subprocess
import Synchronization
import Testing
import TroupeTestSupport

/// Running `troupe` and the example client, and a deployment of both, for the CLI tests.
enum CLIHarness {
    /// What a finished command did.
    struct Run: Sendable, CustomStringConvertible {
        var status: TerminationStatus
        var output: String
        var error: String
        var elapsed: Duration
        var timedOut: Bool

        var description: String {
            "\(status)\(timedOut ? " (killed: timed out)" : "") after \(elapsed)\n--- stdout:\n\(output)--- stderr:\n\(error)"
        }
    }

    /// How a background process (supervisor, node agent) ended, and what it printed.
    struct Ended: Sendable, CustomStringConvertible {
        var status: TerminationStatus
        /// Whether the harness had to signal it to end.
        var forced: Bool
        var output: String
        var error: String

        var description: String {
            "\(status)\(forced ? " (ended by the harness)" : "")\n--- stdout:\n\(output)--- stderr:\n\(error)"
        }
    }

    /// How a deployment's two long-running processes ended.
    struct DeploymentEnd: Sendable {
        var supervisor: Ended
        var agent: Ended
    }

    /// A harness failure (a file or socket that could not be made).
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func path(_ name: String) -> String { TestEnvironment.path(ofSibling: name) }

    /// The environment of every process started here: a private TMPDIR, no inherited
    /// Troupe launch variables, the default heartbeat.
    static func environment(tmpdir: String, extra: [Subprocess.Environment.Key: String?] = [:]) -> Subprocess.Environment {
        var variables: [Subprocess.Environment.Key: String?] = [
            "TMPDIR": tmpdir, "XDG_RUNTIME_DIR": nil, "TROUPE_SUPERVISOR": nil, "TROUPE_SERVER_KEY_FILE": nil,
            "TROUPE_KEY_FILE": nil, "TROUPE_AGENT_PID": nil, "TROUPE_HEARTBEAT_MS": nil, "TROUPE_LIVENESS": nil,
            "TROUPE_CONNECT": nil, "TROUPE_SERVER_KEY": nil, "TROUPE_KEY": nil, "TROUPE_GIVE_UP_MS": nil,
            "SWIFT_BACKTRACE": "enable=no",
        ]
        variables.merge(extra) { _, new in new }
        return .inherit.updating(variables)
    }

    static func troupe(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> Run {
        try await run(path("troupe"), arguments, timeout: timeout)
    }

    /// Runs a program to its end (killing it after `timeout`) and collects its output.
    static func run(_ program: String, _ arguments: [String], timeout: Duration = .seconds(30), tmpdir: String = "/tmp",
                    user: OtherUser? = nil, environment extra: [Subprocess.Environment.Key: String?] = [:]) async throws -> Run {
        let start = ContinuousClock.now
        var options = PlatformOptions()
        options.processGroupID = 0
        if let user {
            options.userID = user.uid
            options.groupID = user.gid
            options.supplementaryGroups = []
        }
        let result = try await Subprocess.run(
            .path(.init(program)),
            arguments: .init(arguments),
            environment: environment(tmpdir: tmpdir, extra: extra),
            platformOptions: options,
            input: .none,
            output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20)
        ) { execution -> Bool in
            let pid = execution.processIdentifier.value
            while ProcessTable.isAlive(pid) {
                if ContinuousClock.now - start > timeout {
                    try? execution.send(signal: .kill, toProcessGroup: true)
                    return true
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
        return Run(status: result.terminationStatus, output: result.standardOutput, error: result.standardError,
                   elapsed: ContinuousClock.now - start, timedOut: result.closureResult)
    }

    /// Starts `program` in its own process group with its output in files under `logs`, runs
    /// `body` while it runs, then waits up to `grace` for it to end before ending it
    /// (SIGTERM to its group, then SIGKILL). If `body` throws, it is ended at once.
    static func background<R: Sendable>(
        _ program: String, _ arguments: [String], logs: String, name: String, tmpdir: String, grace: Duration,
        _ body: (Int32) async throws -> R
    ) async throws -> (R, Ended) {
        let outputPath = logs + "/" + name + ".out", errorPath = logs + "/" + name + ".err"
        let outputFD = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errorFD = open(errorPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard outputFD >= 0, errorFD >= 0 else { throw Failure("cannot create log files in \(logs): errno \(errno)") }
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(3))]
        let result = try await Subprocess.run(
            .path(.init(program)),
            arguments: .init(arguments),
            environment: environment(tmpdir: tmpdir),
            platformOptions: options,
            input: .none,
            output: .fileDescriptor(.init(rawValue: outputFD), closeAfterSpawningProcess: true),
            error: .fileDescriptor(.init(rawValue: errorFD), closeAfterSpawningProcess: true)
        ) { execution -> (R, Bool) in
            let pid = execution.processIdentifier.value
            let value = try await body(pid)
            if await eventually(within: grace, { !ProcessTable.isAlive(pid) }) { return (value, false) }
            try? execution.send(signal: .terminate, toProcessGroup: true)
            if await eventually(within: .seconds(3), { !ProcessTable.isAlive(pid) }) { return (value, true) }
            try? execution.send(signal: .kill, toProcessGroup: true)
            return (value, true)
        }
        let (value, forced) = result.closureResult
        return (value, Ended(status: result.terminationStatus, forced: forced,
                             output: read(outputPath) ?? "", error: read(errorPath) ?? ""))
    }

    /// A supervisor on a free loopback port and a node agent of `distributed-pool` processes.
    final class Deployment: Sendable {
        let endpoint: String
        let port: Int
        let keys: String
        let secure: Bool
        let tmpdir: String
        let logs: String
        private let workers = Mutex<[Int32]>([])

        init(port: Int, keys: String, secure: Bool, tmpdir: String, logs: String) {
            self.port = port
            endpoint = "tcp://127.0.0.1:\(port)"
            self.keys = keys
            self.secure = secure
            self.tmpdir = tmpdir
            self.logs = logs
        }

        /// The connection options of `name`'s keys (or --insecure).
        func security(_ name: String) -> [String] {
            secure ? ["--server-key", keys + "/supervisor.pub", "--key", keys + "/\(name).key"] : ["--insecure"]
        }

        /// `troupe COMMAND --connect ENDPOINT` as the allowed client, plus `arguments`.
        func troupe(_ arguments: [String], as name: String = "client", timeout: Duration = .seconds(20)) async throws -> Run {
            try await CLIHarness.run(path("troupe"), [arguments[0], "--connect", endpoint] + security(name) + arguments.dropFirst(),
                                     timeout: timeout, tmpdir: tmpdir)
        }

        /// `troupe status --json`, parsed; nil when it does not answer.
        func statusJSON() async throws -> [String: Any]? {
            let run = try await troupe(["status", "--json", "--timeout", "3"])
            guard run.status == .exited(0) else { return nil }
            return try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        }

        /// Runs the `distributed-pool` client for `tasks` tasks.
        func client(tasks: Int) async throws -> Run {
            try await CLIHarness.run(path("distributed-pool"), ["--connect", endpoint] + security("client") + ["--tasks", "\(tasks)"],
                                     timeout: .seconds(40), tmpdir: tmpdir)
        }

        func supervisorLog() -> String { (read(logs + "/supervisor.err") ?? "") + (read(logs + "/supervisor.out") ?? "") }

        /// The node agent's worker processes, as seen once they had joined.
        var workerPIDs: [Int32] { workers.withLock { $0 } }
        func setWorkers(_ pids: [Int32]) { workers.withLock { $0 = pids } }
    }

    /// Runs `body` against a fresh deployment: keys (supervisor, worker, client allowed;
    /// stranger not), a supervisor, a node agent with `processes` workers, all joined. Then
    /// stops it with `troupe stop` (unless `stopAtEnd` is false) and ends whatever is left.
    /// With `roles`, the allow-lists give each key one role: `worker` serves
    /// (`--allow-workers`), `client` submits (`--allow-clients`), `admin` stops
    /// (`--allow-stop`); otherwise `worker` and `client` may do everything (`--allow`).
    static func withDeployment<R: Sendable>(
        secure: Bool = true, roles: Bool = false, processes: Int = 2, stopAtEnd: Bool = true, _ body: (Deployment) async throws -> R
    ) async throws -> (R, DeploymentEnd) {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let keys = scratch.path + "/keys", logs = scratch.path + "/logs", tmpdir = scratch.path + "/tmp"
        for folder in [keys, keys + "/allow", keys + "/workers", keys + "/clients", keys + "/admins", logs, tmpdir] { mkdir(folder, 0o700) }
        try await makeKeys(["supervisor", "worker", "client", "stranger", "admin"], in: keys)
        for name in ["worker", "client"] {
            try write(try #require(read(keys + "/\(name).pub")), to: keys + "/allow/\(name).pub")
        }
        for (name, folder) in [("worker", "workers"), ("client", "clients"), ("admin", "admins")] {
            try write(try #require(read(keys + "/\(name).pub")), to: keys + "/\(folder)/\(name).pub")
        }
        let deployment = Deployment(port: try freePort(), keys: keys, secure: secure, tmpdir: tmpdir, logs: logs)
        let allowed = roles
            ? ["--allow-workers", keys + "/workers", "--allow-clients", keys + "/clients", "--allow-stop", keys + "/admins"]
            : ["--allow", keys + "/allow"]
        let supervisorArguments = ["supervisor", "--bind", deployment.endpoint]
            + (secure ? ["--key", keys + "/supervisor.key"] + allowed : ["--insecure"])
        let agentArguments = ["worker", "--connect", deployment.endpoint] + deployment.security("worker")
            + ["--processes", "\(processes)", "--", path("distributed-pool")]

        let ((value, agent), supervisor) = try await background(
            path("troupe"), supervisorArguments, logs: logs, name: "supervisor", tmpdir: tmpdir, grace: .seconds(10)
        ) { supervisorPID -> (R, Ended) in
            let listening = await eventually(within: .seconds(15)) {
                deployment.supervisorLog().contains("supervisor listening") || !ProcessTable.isAlive(supervisorPID)
            }
            try #require(listening && ProcessTable.isAlive(supervisorPID), "the supervisor did not start:\n\(deployment.supervisorLog())")
            return try await background(
                path("troupe"), agentArguments, logs: logs, name: "agent", tmpdir: tmpdir, grace: .seconds(10)
            ) { agentPID -> R in
                let joined = await eventually(within: .seconds(30)) {
                    guard let status = try? await deployment.statusJSON() else { return false }
                    return (status["workers"] as? [Any])?.count == processes
                }
                try #require(joined, "the workers did not join:\n\(deployment.supervisorLog())\n\(read(logs + "/agent.err") ?? "")")
                deployment.setWorkers(ProcessTable.children(of: agentPID))
                let value = try await body(deployment)
                if stopAtEnd { _ = try? await deployment.troupe(["stop", "--timeout", "10"], as: roles ? "admin" : "client", timeout: .seconds(15)) }
                return value
            }
        }
        return (value, DeploymentEnd(supervisor: supervisor, agent: agent))
    }

    // MARK: Another Unix user

    /// A second Unix user, for checks of what another user can reach.
    struct OtherUser: Sendable {
        var name: String
        var uid: uid_t
        var gid: gid_t
    }

    /// The user `troupe-test-other`, created with `useradd` if needed; nil when this process
    /// is not root (the caller then skips, saying so).
    static func otherUser() async throws -> OtherUser? {
        guard getuid() == 0 else { return nil }
        let name = "troupe-test-other"
        if getpwnam(name) == nil {
            let made = try await run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
            guard made.status == .exited(0) || getpwnam(name) != nil else { throw Failure("useradd \(name) failed: \(made)") }
        }
        guard let entry = getpwnam(name) else { throw Failure("no user \(name) after useradd") }
        return OtherUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    // MARK: Keys and files

    static func makeKeys(_ names: [String], in folder: String) async throws {
        for name in names {
            let run = try await troupe(["keygen", "--out", folder + "/" + name])
            guard run.status == .exited(0) else { throw Failure("troupe keygen failed: \(run)") }
        }
    }

    static func isZ85(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || ".-:+=^!/*?&<>()[]{}@%$#".contains(character))
    }

    static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw Failure("cannot write \(path): errno \(errno)") }
        defer { close(descriptor) }
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Live processes whose executable is `binary`.
    static func processes(running binary: String) -> [Int32] {
        ProcessTable.allProcesses().filter { pid in
            var buffer = [UInt8](repeating: 0, count: 4097)
            let length = readlink("/proc/\(pid)/exe", &buffer, 4096)
            return pid != getpid() && length > 0 && String(decoding: buffer[..<length], as: UTF8.self) == binary && ProcessTable.isAlive(pid)
        }
    }

    /// A private folder under /tmp, removed by `remove()`.
    struct Scratch {
        let path: String

        init() throws {
            var template = Array("/tmp/troupe-cli-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw Failure("mkdtemp failed: errno \(errno)") }
            path = String(cString: made)
        }

        func remove() { CLIHarness.removeTree(path) }
    }

    static func removeTree(_ path: String) {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(path + "/" + name) } else { unlink(path + "/" + name) }
            }
            closedir(directory)
        }
        rmdir(path)
    }

    // MARK: Sockets

    /// A TCP port on 127.0.0.1 that nothing listens on (the kernel's pick, released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure("bind failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A connected TCP socket to 127.0.0.1:`port`, with 2 s send and receive timeouts.
    private static func connectTCP(_ port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        return descriptor
    }

    private static func sendAll(_ bytes: [UInt8], on descriptor: Int32) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }  // the peer closed the connection: fine, it refused the garbage
            sent += count
        }
    }

    /// Reads `count` bytes, or fewer if the peer closes or is silent for 2 s.
    private static func receive(_ count: Int, on descriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < count {
            let got = recv(descriptor, &buffer, min(buffer.count, count - bytes.count), 0)
            if got <= 0 { break }
            bytes.append(contentsOf: buffer[..<got])
        }
        return bytes
    }

    /// Connects to 127.0.0.1:`port`, writes `bytes`, waits briefly for the peer's answer (or
    /// its closing the connection), and closes.
    static func sendRaw(_ bytes: [UInt8], to port: Int) throws {
        let descriptor = try connectTCP(port)
        defer { close(descriptor) }
        sendAll(bytes, on: descriptor)
        _ = receive(1 << 16, on: descriptor)
    }

    /// A ZMTP 3.0 greeting (RFC 23) for `mechanism`, as a client.
    static func zmtpGreeting(mechanism: String) -> [UInt8] {
        var greeting: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7F, 3, 0]
        greeting += Array(mechanism.utf8) + Array(repeating: 0, count: 20 - mechanism.utf8.count)
        greeting += [0] + Array(repeating: 0, count: 31)
        return greeting
    }

    /// Speaks just enough ZMTP 3.0 (NULL mechanism, as a DEALER) to deliver `messages`, each a
    /// list of frames, to an insecure supervisor; then reads what it answers for a moment.
    static func sendZMTP(_ messages: [[[UInt8]]], to port: Int) throws {
        let descriptor = try connectTCP(port)
        defer { close(descriptor) }
        sendAll(zmtpGreeting(mechanism: "NULL"), on: descriptor)
        let greeting = receive(64, on: descriptor)
        guard greeting.count == 64, greeting[0] == 0xFF, greeting[9] == 0x7F else {
            throw Failure("no ZMTP greeting from the supervisor (got \(greeting.count) bytes)")
        }
        // READY with Socket-Type DEALER.
        let type = Array("Socket-Type".utf8), value = Array("DEALER".utf8)
        let ready: [UInt8] = [5] + Array("READY".utf8) + [UInt8(type.count)] + type + [0, 0, 0, UInt8(value.count)] + value
        sendAll([0x04, UInt8(ready.count)] + ready, on: descriptor)
        for message in messages {
            var bytes: [UInt8] = []
            for (index, frame) in message.enumerated() {
                let more: UInt8 = index < message.count - 1 ? 0x01 : 0x00
                if frame.count < 256 {
                    bytes += [more, UInt8(frame.count)]
                } else {
                    bytes += [more | 0x02] + withUnsafeBytes(of: UInt64(frame.count).bigEndian, Array.init)
                }
                bytes += frame
            }
            sendAll(bytes, on: descriptor)
        }
        _ = receive(1 << 16, on: descriptor)
    }
}

