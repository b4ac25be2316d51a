import Foundation
import Troupe

/// A status as JSON with the fields of `troupe status --json`: the Codable keys of
/// `BrokerStatus`, fields without a value left out.
enum StatusJSON {
    static func encode(_ status: BrokerStatus) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(status), as: UTF8.self)
    }
}
