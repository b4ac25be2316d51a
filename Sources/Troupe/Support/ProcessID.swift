import TroupePlatform

/// This process's id.
func currentProcessID() -> Int32 { getpid() }

/// The value of environment variable `name`, if set.
func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// This process's environment as `KEY=value` strings.
func currentEnvironment() -> [String] {
    var result: [String] = []
    var pointer = environ
    while let entry = pointer.pointee {
        result.append(String(cString: entry))
        pointer += 1
    }
    return result
}

/// The path of the running executable (`/proc/self/exe` resolved on Linux).
func currentExecutablePath() -> String? {
    #if os(Linux)
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
    guard length > 0 else { return nil }
    return buffer.withUnsafeBufferPointer { raw in
        String(decoding: UnsafeRawBufferPointer(start: raw.baseAddress, count: length).bindMemory(to: UInt8.self), as: UTF8.self)
    }
    #else
    return CommandLine.arguments.first
    #endif
}
