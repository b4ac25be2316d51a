import TroupePlatform
import Synchronization

/// The private directory (mode 0700) that holds this process's ipc endpoints.
///
/// libzmq never deletes ipc socket files, so the directory is removed at exit; directories
/// left behind by processes that died without cleaning up (`kill -9`) are removed the next
/// time a Troupe process creates its own.
struct RunDirectory: Sendable {
    /// The directory's absolute path.
    let path: String

    private static let current = Mutex<RunDirectory?>(nil)

    /// This process's run directory, created on first use.
    /// - Throws: ``TroupeError`` with code `.system` when it cannot be created.
    static func shared() throws -> RunDirectory {
        try current.withLock { current in
            if let current { return current }
            let created = try create()
            current = created
            atexit { RunDirectory.removeAtExit() }
            return created
        }
    }

    /// The ipc endpoint for a socket called `name` inside the directory.
    func endpoint(_ name: String) -> String { "ipc://\(path)/\(name)" }

    /// Removes the directory and the socket files in it (called at exit and on shutdown).
    static func removeAtExit() {
        // Never block at exit: if another thread holds the lock, leave cleanup to the next run.
        guard let directory = current.withLockIfAvailable({ $0 }) ?? nil else { return }
        removeTree(directory.path)
    }

    private static func baseDirectory() -> String {
        if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }),
           !runtime.isEmpty, access(runtime, W_OK | X_OK) == 0 {
            return runtime
        }
        if let temporary = getenv("TMPDIR").map({ String(cString: $0) }),
           !temporary.isEmpty, access(temporary, W_OK | X_OK) == 0 {
            return temporary
        }
        return "/tmp"
    }

    private static func create() throws -> RunDirectory {
        let base = baseDirectory()
        removeStale(in: base)
        let pid = getpid()
        for _ in 0..<16 {
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let path = "\(base)/troupe-\(pid)-\(suffix)"
            if mkdir(path, 0o700) == 0 {
                // mkdir honours the umask; make sure nobody else can enter.
                chmod(path, 0o700)
                return RunDirectory(path: path)
            }
            if errno != EEXIST {
                throw TroupeError(.system, "cannot create the run directory \(path): \(String(cString: strerror(errno)))",
                                  context: ["path": path])
            }
        }
        throw TroupeError(.system, "cannot create a run directory in \(base)", context: ["path": base])
    }

    /// Removes `troupe-<pid>-*` directories of ours whose process no longer exists.
    private static func removeStale(in base: String) {
        guard let directory = opendir(base) else { return }
        defer { closedir(directory) }
        let uid = getuid()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            guard name.hasPrefix("troupe-") else { continue }
            let parts = name.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]) else { continue }
            let path = "\(base)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == uid, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                removeTree(path)
            }
        }
    }

    /// Removes a directory holding only plain entries (socket files), then the directory.
    private static func removeTree(_ path: String) {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." { continue }
                unlink("\(path)/\(name)")
            }
            closedir(directory)
        }
        rmdir(path)
    }
}
