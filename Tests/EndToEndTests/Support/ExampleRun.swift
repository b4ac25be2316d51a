import TroupePlatform
import Subprocess
import TroupeTestSupport

/// What a person sees when they run one example program to the end: its standard output,
/// its standard error and its exit status, plus what the operating system saw meanwhile.
struct ExampleRun: Sendable {
    /// The example's name (its executable's name).
    let name: String
    /// The path of the binary that ran.
    let binary: String
    /// The pid of the example process (the parent).
    let pid: Int32
    /// How the example ended.
    let status: TerminationStatus
    /// Everything it wrote to standard output, its workers' lines included.
    let output: String
    /// Everything it wrote to standard error.
    let error: String
    /// Every child of the example process seen while it ran (polled from `/proc`).
    let children: Set<Int32>
    /// What was left in the run directory base (`TMPDIR`) once the example had exited.
    let leftoverFiles: [String]

    /// Standard output split into lines, without the final empty line.
    var lines: [String] {
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The children seen while it ran that are still alive.
    var survivingChildren: [Int32] {
        children.filter { ProcessTable.isAlive($0) }.sorted()
    }
}

/// Runs the example binaries built beside the test bundle, as a user would from a shell.
enum Example {
    /// The path of the example's binary in the same build folder as the test bundle.
    static func path(_ name: String) -> String {
        TestEnvironment.path(ofSibling: name)
    }

    /// Runs the example `name` to its end and collects what it printed.
    ///
    /// Each run gets a fresh, empty `TMPDIR` (and no `XDG_RUNTIME_DIR`), so that whatever the
    /// example leaves behind there (run directories, ipc socket files) can be listed.
    /// Output is read until end-of-file, so a worker that outlived its parent while holding
    /// the pipe would hold this up; the tests' time limit turns that into a failure.
    /// - Parameters:
    ///   - name: the example's executable name.
    ///   - arguments: its command-line arguments.
    /// - Returns: what it printed and how it ended.
    static func run(_ name: String, arguments: [String] = []) async throws -> ExampleRun {
        let binary = path(name)
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let result = try await Subprocess.run(
            .path(.init(binary)),
            arguments: .init(arguments),
            environment: isolatedEnvironment(tmpdir: scratch.path),
            input: .none,
            output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20)
        ) { execution in
            // Poll the process table while the example runs, to learn its workers' pids.
            let pid = execution.processIdentifier.value
            var children: Set<Int32> = []
            while ProcessTable.isAlive(pid) {
                children.formUnion(ProcessTable.children(of: pid))
                try? await Task.sleep(for: .milliseconds(20))
            }
            return children
        }
        return ExampleRun(
            name: name,
            binary: binary,
            pid: result.processIdentifier.value,
            status: result.terminationStatus,
            output: result.standardOutput,
            error: result.standardError,
            children: result.closureResult,
            leftoverFiles: scratch.contents()
        )
    }

    /// The inherited environment, with the run directory base pointed at `tmpdir`.
    static func isolatedEnvironment(tmpdir: String) -> Subprocess.Environment {
        .inherit.updating(["TMPDIR": tmpdir, "XDG_RUNTIME_DIR": nil])
    }

    /// Live processes running `binary` (read from `/proc/<pid>/exe`): a worker is the
    /// example's own binary started again, so this finds workers even after they lost
    /// their parent.
    static func processes(running binary: String) -> [Int32] {
        ProcessTable.allProcesses().filter { pid in
            pid != getpid() && executable(of: pid) == binary && ProcessTable.isAlive(pid)
        }.sorted()
    }

    private static func executable(of pid: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let length = readlink("/proc/\(pid)/exe", &buffer, 4096)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length], as: UTF8.self)
    }
}

/// A private directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/troupe-e2e-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw TemporaryDirectoryError(message: "mkdtemp failed: errno \(errno)")
        }
        path = String(cString: created)
    }

    /// The names of the entries in the directory, sorted.
    func contents() -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes the directory and everything in it.
    func remove() {
        removeTree(path)
    }

    private func removeTree(_ path: String) {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let child = path + "/" + name
                if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
            }
            closedir(directory)
        }
        rmdir(path)
    }
}

struct TemporaryDirectoryError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
