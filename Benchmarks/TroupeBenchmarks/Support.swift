import TroupePlatform
import Synchronization

/// The command line: `troupe-bench <figure> [--name value]...`.
struct Arguments: Sendable {
    let figure: String
    private var options: [String: String] = [:]

    init(_ arguments: [String]) throws {
        guard let figure = arguments.first, !figure.hasPrefix("-") else {
            throw BenchFailure("usage: troupe-bench <figure> [--reps N] [--option value]...; figures: \(Figures.names.joined(separator: ", "))")
        }
        self.figure = figure
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            guard name.hasPrefix("--"), let value = rest.popFirst() else {
                throw BenchFailure("expected --name value, got '\(name)'")
            }
            options[String(name.dropFirst(2))] = value
        }
    }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = options[name] else { return value }
        guard let number = Int(text), number >= 0 else { throw BenchFailure("--\(name) wants a count, not '\(text)'") }
        return number
    }

    /// A chunk size: a number, or "auto" (nil) for Python's choice.
    func chunksize(_ name: String) throws -> Int? {
        guard let text = options[name], text != "auto" else { return nil }
        guard let number = Int(text), number >= 1 else { throw BenchFailure("--\(name) wants a number or auto, not '\(text)'") }
        return number
    }
}

/// Collects one benchmark's figures and prints them as one JSON line, as the peer scripts do:
/// for each figure, its value in every repetition and their min / median / max.
final class Report: Sendable {
    private struct Entry {
        var unit: String
        var description: String
        var values: [Double]
    }
    private struct State {
        var order: [String] = []
        var entries: [String: Entry] = [:]
    }
    private let state = Mutex(State())

    func record(_ key: String, _ unit: String, _ description: String, _ value: Double) {
        state.withLock { state in
            if state.entries[key] == nil {
                state.order.append(key)
                state.entries[key] = Entry(unit: unit, description: description, values: [])
            }
            state.entries[key]!.values.append(value)
        }
        printError("\(key): \(number(value)) \(unit)")
    }

    func json(figure: String) -> String {
        let (order, entries) = state.withLock { ($0.order, $0.entries) }
        var rows: [String] = []
        for key in order {
            let entry = entries[key]!
            let sorted = entry.values.sorted()
            rows.append("{\"key\":\(quote(key)),\"unit\":\(quote(entry.unit)),\"desc\":\(quote(entry.description)),"
                + "\"min\":\(number(sorted.first!)),\"median\":\(number(median(sorted))),\"max\":\(number(sorted.last!)),"
                + "\"n\":\(sorted.count),\"values\":[\(entry.values.map(number).joined(separator: ","))]}")
        }
        return "{\"figure\":\(quote(figure)),\"pid\":\(getpid()),\"results\":[\(rows.joined(separator: ","))]}"
    }
}

func median(_ sorted: [Double]) -> Double {
    let count = sorted.count
    return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
}

/// Nearest-rank percentile of sorted values (p in 0...100), as the peers compute it.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[max(0, min(sorted.count - 1, rank))]
}

func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

func number(_ value: Double) -> String {
    value.isFinite ? "\((value * 1000).rounded() / 1000)" : "null"
}

/// Progress goes to standard error; standard output carries only the JSON line.
func printError(_ text: String) {
    var line = Array((text + "\n").utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

extension Duration {
    var microseconds: Double {
        Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12
    }
    var milliseconds: Double { microseconds / 1e3 }
    var seconds: Double { microseconds / 1e6 }
}

/// The sum of the `fields` (in kB) in `/proc/<pid>/<file>`, in MiB: VmRSS from `status`,
/// or Private_Clean + Private_Dirty (memory no other process shares) from `smaps_rollup`.
func procMebibytes(of pid: Int32, _ file: String, _ fields: [String]) throws -> Double {
    guard let handle = fopen("/proc/\(pid)/\(file)", "r") else { throw BenchFailure("cannot read /proc/\(pid)/\(file)") }
    defer { fclose(handle) }
    var line = [CChar](repeating: 0, count: 512)
    var kibibytes = 0.0
    var found = 0
    while fgets(&line, Int32(line.count), handle) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":"), fields.contains(String(text[..<colon])) else { continue }
        guard let value = Double(String(text[colon...].filter(\.isNumber))) else { continue }
        kibibytes += value
        found += 1
    }
    guard found == fields.count else { throw BenchFailure("missing \(fields) in /proc/\(pid)/\(file)") }
    return kibibytes / 1024
}
