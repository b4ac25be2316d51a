import TroupePlatform
import Subprocess
import TroupeTestSupport

/// An example run that a signal ended: what it had printed and which workers it had then.
struct InterruptedRun: Sendable {
    /// The example's name.
    let name: String
    /// The path of the binary that ran.
    let binary: String
    /// The pid of the example process (the parent).
    let pid: Int32
    /// How the example ended.
    let status: TerminationStatus
    /// The live children of the example when the signal was sent.
    let workers: [Int32]
    /// The live processes running the example's binary when the signal was sent.
    let runningBinary: [Int32]
    /// What it wrote to standard output (its workers' lines included) until all had exited.
    let output: String
    /// What it wrote to standard error.
    let error: String
    /// What was left in the run directory base (`TMPDIR`) once the example had exited.
    let leftoverFiles: [String]

    /// The workers that are still alive.
    var survivingWorkers: [Int32] { workers.filter { ProcessTable.isAlive($0) } }
}

/// What a running example has done so far, as a test watching it sees it.
struct Progress {
    /// The example's live children.
    let children: [Int32]
    /// Its standard output so far.
    let output: String

    /// Its standard output so far, line by line.
    var lines: [Substring] { output.split(separator: "\n") }
}

extension Example {
    /// Starts the example `name`, waits until `ready` holds, then sends `signal` to it.
    ///
    /// Standard output and error go to files rather than pipes, so that nothing here waits
    /// on a pipe that a surviving worker would hold open; the test checks the workers itself.
    /// - Parameters:
    ///   - name: the example's executable name.
    ///   - arguments: its command-line arguments.
    ///   - signal: the signal to send.
    ///   - toProcessGroup: send the signal to the example's whole process group, as a terminal
    ///     does on Ctrl-C (the example is started as the leader of a new group).
    ///   - ready: when to send the signal, given what the example has done so far.
    /// - Returns: the run, or nil when the example ended before `ready` held.
    static func interrupt(
        _ name: String,
        arguments: [String] = [],
        with signal: Subprocess.Signal,
        toProcessGroup: Bool = false,
        when ready: (Progress) -> Bool
    ) async throws -> InterruptedRun? {
        let binary = path(name)
        let logs = try TemporaryDirectory()
        let tmpdir = try TemporaryDirectory()
        defer {
            logs.remove()
            tmpdir.remove()
        }
        let outputPath = logs.path + "/stdout"
        let errorPath = logs.path + "/stderr"
        let outputFD = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errorFD = open(errorPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard outputFD >= 0, errorFD >= 0 else {
            throw TemporaryDirectoryError(message: "cannot create the log files in \(logs.path): errno \(errno)")
        }
        var options = PlatformOptions()
        if toProcessGroup { options.processGroupID = 0 }

        let result = try await Subprocess.run(
            .path(.init(binary)),
            arguments: .init(arguments),
            environment: isolatedEnvironment(tmpdir: tmpdir.path),
            platformOptions: options,
            input: .none,
            output: .fileDescriptor(.init(rawValue: outputFD), closeAfterSpawningProcess: true),
            error: .fileDescriptor(.init(rawValue: errorFD), closeAfterSpawningProcess: true)
        ) { execution -> (workers: [Int32], runningBinary: [Int32])? in
            let pid = execution.processIdentifier.value
            while ProcessTable.isAlive(pid) {
                let progress = Progress(children: ProcessTable.children(of: pid), output: readFile(outputPath))
                if ready(progress) {
                    let runningBinary = processes(running: binary)
                    try execution.send(signal: signal, toProcessGroup: toProcessGroup)
                    return (progress.children, runningBinary)
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return nil
        }
        guard let (workers, runningBinary) = result.closureResult else { return nil }
        return InterruptedRun(
            name: name,
            binary: binary,
            pid: result.processIdentifier.value,
            status: result.terminationStatus,
            workers: workers,
            runningBinary: runningBinary,
            output: readFile(outputPath),
            error: readFile(errorPath),
            leftoverFiles: tmpdir.contents()
        )
    }

    /// Like ``interrupt(_:arguments:with:toProcessGroup:when:)``, trying again (up to
    /// `attempts` times) when the example ends before `ready` holds: for examples whose
    /// children live only a moment.
    static func interrupt(
        _ name: String,
        attempts: Int,
        with signal: Subprocess.Signal,
        when ready: (Progress) -> Bool
    ) async throws -> InterruptedRun? {
        for _ in 0..<attempts {
            if let run = try await interrupt(name, with: signal, when: ready) { return run }
        }
        return nil
    }

    private static func readFile(_ path: String) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
