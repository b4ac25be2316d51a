import Troupe
import TroupeWire

/// How `troupe status` shows a supervisor's status.
enum StatusFormat {
    static func table(_ status: BrokerStatus) -> String {
        var lines: [String] = []
        let queued = status.queued.values.reduce(0, +)
        lines.append("supervisor \(status.endpoint)  phase \(status.phase)  \(status.secure ? "CURVE" : "insecure")  "
                     + "queued \(queued)  running \(status.running)  completed \(status.completed)  clients \(status.clients)  "
                     + "workers lost \(status.workersLost)  refused \(counted(status.unauthorized, "attempt")) (\(counted(status.refusedKeys, "key")))")
        let hosts = Dictionary(grouping: status.workers, by: \.host)
        lines.append("hosts: " + (hosts.isEmpty ? "none" : hosts.keys.sorted().map { "\($0) (\(hosts[$0]!.count) workers)" }.joined(separator: ", ")))
        let header = ["HOST", "NODE", "PID", "TYPES", "STATE", "DONE", "LAST HEARD"]
        var rows = [header]
        for worker in status.workers {
            rows.append([worker.host, worker.node, "\(worker.pid)", worker.services.joined(separator: ","), worker.state,
                         "\(worker.tasksDone)", String(format1: Double(worker.lastHeardMilliseconds) / 1000) + "s ago"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { $0.element.padding(to: widths[$0.offset]) }.joined(separator: "  "))
        }
        if !status.queued.isEmpty {
            lines.append("queue: " + status.queued.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if !status.rejected.isEmpty {
            lines.append("rejected: " + status.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// `1 attempt`, `2 attempts`.
    private static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    static func json(_ status: BrokerStatus) -> String {
        let value = (try? MessagePackValue(decoding: MessagePackEncoder().encode(status))) ?? .nil
        return render(value)
    }

    private static func render(_ value: MessagePackValue) -> String {
        switch value {
        case .nil: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return "\(number)"
        case .uint(let number): return "\(number)"
        case .float(let number): return "\(number)"
        case .double(let number): return "\(number)"
        case .string(let text): return quoted(text)
        case .binary(let bytes): return "[" + bytes.map(String.init).joined(separator: ",") + "]"
        case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .map(let pairs):
            return "{" + pairs.map { quoted($0.key.stringValue ?? render($0.key)) + ":" + render($0.value) }.joined(separator: ",") + "}"
        case .extension: return "null"
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

extension String {
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }

    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
