import TroupePlatform
import ZeroMQ

/// How a client or worker connects to a standalone supervisor.
public enum ClientSecurity: Sendable, Hashable {
    /// CURVE: the supervisor's public key and this node's key pair.
    case curve(CurveClientSettings)
    /// No encryption, no authentication: only on a trusted network, by explicit choice.
    case insecure

    var curve: CurveClientSettings? {
        if case .curve(let settings) = self { return settings }
        return nil
    }
}

/// Reads and writes CURVE keys as files: `NAME.key` holds the secret key and `NAME.pub` the
/// public one, each as 40 Z85 characters; the secret file is readable by its owner only.
public enum KeyFiles {
    /// Generates a key pair and writes `prefix.key` (mode 0600) and `prefix.pub`.
    /// - Parameters:
    ///   - prefix: the path without extension, such as `keys/supervisor`.
    ///   - overwrite: whether existing files may be replaced.
    /// - Returns: the public key.
    /// - Throws: ``TroupeError`` when a file exists (without `overwrite`) or cannot be written.
    @discardableResult
    public static func generate(prefix: String, overwrite: Bool = false) throws -> String {
        // Refuse before writing anything: a planted link, or a file not to be replaced.
        for path in [prefix + ".key", prefix + ".pub"] {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw TroupeError(.invalidArgument, "cannot write \(path): it is a symbolic link; remove it, or choose another --out",
                                  context: ["path": path])
            }
            if !overwrite {
                throw TroupeError(.invalidArgument, "cannot write \(path): it exists (pass --force to replace it)", context: ["path": path])
            }
        }
        let pair = try Curve.generateKeyPair()
        try write(pair.secretKey + "\n", to: prefix + ".key", mode: 0o600, overwrite: overwrite)
        try write(pair.publicKey + "\n", to: prefix + ".pub", mode: 0o644, overwrite: overwrite)
        return pair.publicKey
    }

    /// Makes the folders of `prefix` that do not exist yet, each with mode 0700 whatever the
    /// umask (a folder of secret keys is its owner's alone).
    /// - Parameter prefix: the path of the key files without extension, such as `keys/supervisor`.
    /// - Returns: the folders made, outermost first; empty when they all existed.
    /// - Throws: ``TroupeError`` `.invalidArgument` when a folder cannot be made.
    @discardableResult
    public static func makeFolders(for prefix: String) throws -> [String] {
        guard let slash = prefix.lastIndex(of: "/") else { return [] }
        let folder = String(prefix[..<slash])
        var missing: [String] = []
        var path = folder
        while !path.isEmpty, access(path, F_OK) != 0 {
            missing.insert(path, at: 0)
            guard let up = path.lastIndex(of: "/") else { break }
            path = String(path[..<up])
        }
        for path in missing {
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw TroupeError(.invalidArgument, "cannot make the folder \(path): \(String(cString: strerror(errno)))", context: ["path": path])
            }
            chmod(path, 0o700)
        }
        return missing
    }

    /// Reads a public key from a `.pub` file (or a `.key` file, deriving the public half).
    /// - Parameter path: the key file.
    /// - Returns: the public key (Z85, 40 characters).
    /// - Throws: ``TroupeError`` `.invalidArgument` when the file cannot be read or holds no
    ///   valid key.
    public static func publicKey(at path: String) throws -> String {
        let text = try read(path)
        if path.hasSuffix(".key") { return try Curve.publicKey(fromSecret: try validated(text, path: path)) }
        return try validated(text, path: path)
    }

    /// Reads a secret key from a `.key` file.
    /// - Parameter path: the secret key file, as `troupe keygen` writes it.
    /// - Returns: the secret key (Z85, 40 characters).
    /// - Throws: ``TroupeError`` `.invalidArgument` when the file cannot be read or holds no
    ///   valid key.
    public static func secretKey(at path: String) throws -> String {
        if path.hasSuffix(".pub") {
            throw TroupeError(.invalidArgument, "\(path) is a public key file; a node's own key is its secret key file (.key)",
                              context: ["path": path])
        }
        return try validated(try read(path), path: path)
    }

    /// Reads every public key in `path`: the `*.pub` files of a directory, or one file.
    /// - Parameter path: a directory of `.pub` files, or one key file.
    /// - Returns: the public keys; the supervisor's allow-list.
    /// - Throws: ``TroupeError`` `.invalidArgument` when `path` or one of its `.pub` files
    ///   cannot be read or holds no valid key.
    public static func publicKeys(in path: String) throws -> Set<String> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TroupeError(.invalidArgument, "cannot read keys from \(path): \(String(cString: strerror(errno)))", context: ["path": path])
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return [try publicKey(at: path)] }
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var keys = Set<String>()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".pub") { keys.insert(try publicKey(at: path + "/" + name)) }
        }
        return keys
    }

    /// Client settings from the supervisor's public key file and this node's secret key file.
    /// - Parameters:
    ///   - serverKey: the supervisor's public key file (`supervisor.pub`).
    ///   - key: this node's secret key file (`host1.key`), whose public half is in the
    ///     supervisor's allow-list.
    /// - Returns: the settings for ``ClientSecurity/curve(_:)``.
    /// - Throws: ``TroupeError`` `.invalidArgument` when a file cannot be read or holds no
    ///   valid key.
    public static func clientSettings(serverKey: String, key: String) throws -> CurveClientSettings {
        let secret = try secretKey(at: key)
        return CurveClientSettings(serverKey: try publicKey(at: serverKey), publicKey: try Curve.publicKey(fromSecret: secret), secretKey: secret)
    }

    /// Server settings from the supervisor's secret key file.
    /// - Parameter key: the supervisor's secret key file (`supervisor.key`).
    /// - Returns: the supervisor's key pair, for ``BrokerConfiguration/Security-swift.enum/curve(server:allowedKeys:)``.
    /// - Throws: ``TroupeError`` `.invalidArgument` when the file cannot be read or holds no
    ///   valid key.
    public static func serverSettings(key: String) throws -> CurveServerSettings {
        let secret = try secretKey(at: key)
        return CurveServerSettings(publicKey: try Curve.publicKey(fromSecret: secret), secretKey: secret)
    }

    private static func validated(_ text: String, path: String) throws -> String {
        let key = text.trimmingWhitespace
        guard key.utf8.count == 40, (try? CurveKey(z85: key)) != nil else {
            throw TroupeError(.invalidArgument, "\(path) does not hold a CURVE key (40 Z85 characters); make one with `troupe keygen`",
                              context: ["path": path])
        }
        return key
    }

    private static func read(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TroupeError(.invalidArgument, "cannot read the key file \(path): \(String(cString: strerror(errno)))", context: ["path": path])
        }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    }

    /// Writes `text` to a new temporary file beside `path` (never through a link: `O_EXCL`
    /// and `O_NOFOLLOW`), then moves it into place in one step: with `overwrite`, replacing
    /// what is at `path` (a link itself, never its target); without, only if nothing is.
    private static func write(_ text: String, to path: String, mode: mode_t, overwrite: Bool) throws {
        var generator = SystemRandomNumberGenerator()
        let temporary = path + ".tmp-" + String(generator.next() as UInt64, radix: 36)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let reason = errno == ENOENT ? "its folder does not exist; create it first" : String(cString: strerror(errno))
            throw TroupeError(.invalidArgument, "cannot write \(path): \(reason)", context: ["path": path])
        }
        var written = false
        defer { if !written { unlink(temporary) } }
        fchmod(descriptor, mode)
        let bytes = Array(text.utf8)
        let complete = Glibc.write(descriptor, bytes, bytes.count) == bytes.count && fsync(descriptor) == 0
        close(descriptor)
        guard complete else {
            throw TroupeError(.system, "cannot write \(path): \(String(cString: strerror(errno)))", context: ["path": path])
        }
        if overwrite {
            guard rename(temporary, path) == 0 else {
                throw TroupeError(.system, "cannot write \(path): \(String(cString: strerror(errno)))", context: ["path": path])
            }
        } else {
            // link() fails if anything appeared at `path` meanwhile.
            guard link(temporary, path) == 0 else {
                let reason = errno == EEXIST ? "it exists (pass --force to replace it)" : String(cString: strerror(errno))
                throw TroupeError(.invalidArgument, "cannot write \(path): \(reason)", context: ["path": path])
            }
            unlink(temporary)
        }
        written = true
    }
}

extension String {
    /// The string without leading and trailing spaces and newlines.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
