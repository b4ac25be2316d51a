import TroupePlatform

/// The operating system's view of processes, read from `/proc`: what tests check instead of
/// trusting the library's own bookkeeping.
public enum ProcessTable {
    /// Whether `pid` is a live process (present and not a zombie).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = read("/proc/\(pid)/stat") else { return false }
        return state(fromStat: stat) != "Z" && state(fromStat: stat) != "X"
    }

    /// The live children of `parent`.
    public static func children(of parent: Int32) -> [Int32] {
        allProcesses().filter { pid in
            guard let stat = read("/proc/\(pid)/stat") else { return false }
            return parentPID(fromStat: stat) == parent && state(fromStat: stat) != "Z"
        }
    }

    /// Every pid in `/proc`.
    public static func allProcesses() -> [Int32] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var pids: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let pid = Int32(name) { pids.append(pid) }
        }
        return pids
    }

    /// The resident set size of `pid` in KiB (VmRSS), if it is alive.
    public static func residentKiB(_ pid: Int32) -> Int? {
        guard let status = read("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// The signals `pid` ignores, as the SigIgn bit mask of `/proc/<pid>/status`.
    public static func ignoredSignals(_ pid: Int32) -> UInt64? {
        guard let status = read("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("SigIgn:") {
            return UInt64(line.split(separator: "\t").last ?? "", radix: 16)
        }
        return nil
    }

    private static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var text: [UInt8] = []
        while true {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            text.append(contentsOf: buffer[..<count])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `/proc/<pid>/stat` is "pid (comm) S ppid ..."; comm may hold spaces and parentheses.
    private static func fieldsAfterCommand(_ stat: String) -> [Substring] {
        guard let close = stat.lastIndex(of: ")") else { return [] }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    private static func state(fromStat stat: String) -> Substring? {
        fieldsAfterCommand(stat).first
    }

    private static func parentPID(fromStat stat: String) -> Int32? {
        let fields = fieldsAfterCommand(stat)
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}
