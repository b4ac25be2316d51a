import TroupePlatform
import CTroupeShims

/// The stack a worker sends with an error that is not a ``TroupeError`` (THROW's `stack`,
/// innermost frame first): the distributed function that threw, then a backtrace of the
/// thread that reports it.
///
/// A Swift error carries no place of its own, so the backtrace starts where the worker
/// handles the throw; it still names the worker's code and libraries down to the thread's
/// root, which is what a Python user reads a traceback for. Made only when a call throws.
enum RemoteStack {
    /// At most this many frames of the backtrace.
    static let frameLimit = 48

    /// The stack for an error of `errorType` thrown by `function` of `actorType`, in `node`.
    static func capture(function: String, actorType: String, node: String, errorType: String) -> [String] {
        var frames = ["\(actorType).\(function) threw \(errorType) (in node \(node), process \(currentProcessID()))"]
        var addresses = [UnsafeMutableRawPointer?](repeating: nil, count: frameLimit)
        let count = Int(troupe_backtrace(&addresses, Int32(frameLimit)))
        // The first frames are this function and the result handler's.
        for address in addresses.prefix(count).dropFirst(2) {
            guard let address else { continue }
            frames.append(describe(address))
        }
        return frames
    }

    private static func describe(_ address: UnsafeMutableRawPointer) -> String {
        var symbol: UnsafePointer<CChar>?
        var object: UnsafePointer<CChar>?
        let hex = "0x" + String(UInt(bitPattern: address), radix: 16)
        guard troupe_symbol_name(address, &symbol, &object) != 0 else { return hex }
        let file = object.map { String(cString: $0).split(separator: "/").last.map(String.init) ?? "" } ?? ""
        guard let symbol else { return "\(hex) in \(file)" }
        return "\(demangle(String(cString: symbol))) (\(file))"
    }

    /// A Swift symbol's readable name; other symbols as they are.
    private static func demangle(_ mangled: String) -> String {
        guard mangled.hasPrefix("$s") || mangled.hasPrefix("_$s"),
              let readable = mangled.withCString({ swift_demangle($0, strlen($0), nil, nil, 0) }) else { return mangled }
        defer { free(readable) }
        return String(cString: readable)
    }
}

@_silgen_name("swift_demangle")
private func swift_demangle(_ mangled: UnsafePointer<CChar>, _ length: Int, _ output: UnsafeMutablePointer<CChar>?,
                            _ outputLength: UnsafeMutablePointer<Int>?, _ flags: UInt32) -> UnsafeMutablePointer<CChar>?
