#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The command line: `troupe-bench <figure> [--name value]...`.
struct Arguments {
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
final class Report {
    private var order: [String] = []
    private var entries: [String: (unit: String, description: String, values: [Double])] = [:]

    func record(_ key: String, _ unit: String, _ description: String, _ value: Double) {
        if entries[key] == nil {
            order.append(key)
            entries[key] = (unit, description, [])
        }
        entries[key]!.values.append(value)
        printError(String(format3(key, value, unit)))
    }

    func json(figure: String) -> String {
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

    private func format3(_ key: String, _ value: Double, _ unit: String) -> String {
        "\(key): \(number(value)) \(unit)"
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

func printError(_ text: String) {
    fputs(text + "\n", stderr)
}

extension Duration {
    var microseconds: Double {
        Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12
    }
    var milliseconds: Double { microseconds / 1e3 }
    var seconds: Double { microseconds / 1e6 }
}

/// The resident set size of process `pid` in MiB (VmRSS in /proc/<pid>/status).
func residentMebibytes(of pid: Int32) throws -> Double {
    guard let file = fopen("/proc/\(pid)/status", "r") else { throw BenchFailure("cannot read /proc/\(pid)/status") }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") {
            let digits = text.dropFirst(6).filter { $0.isNumber }
            guard let kibibytes = Double(String(digits)) else { break }
            return kibibytes / 1024
        }
    }
    throw BenchFailure("no VmRSS in /proc/\(pid)/status")
}
