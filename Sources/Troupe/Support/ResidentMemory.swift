import TroupePlatform

/// The resident memory (RSS) of a process on this host: from `/proc/PID/statm` on Linux;
/// not known elsewhere yet.
@_spi(Observability)
public enum ResidentMemory {
    /// The bytes of `pid`'s memory that are in RAM.
    /// - Parameter pid: a process on this host.
    /// - Returns: the resident set size in bytes, or nil when the process is gone or the
    ///   platform does not tell.
    public static func bytes(of pid: Int64) -> Int64? {
        #if os(Linux)
        let descriptor = open("/proc/\(pid)/statm", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        // "size resident shared text lib data dt", in pages.
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let pages = Int64(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }
}
