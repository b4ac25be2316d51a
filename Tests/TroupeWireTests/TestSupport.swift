import Foundation
import Testing
@testable import TroupeWire

/// Hex helpers, the vector files of `Protocols/`, and a seeded random number generator.
enum TestSupport {
    /// The repository's `Protocols/` directory, found from this file's path (as swift-crypto
    /// finds its RFC vectors).
    static let protocolsDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TroupeWireTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("Protocols")

    static func loadJSON<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        let url = protocolsDirectory.appendingPathComponent(name)
        let data = try Data(contentsOf: url)
        return try JSONDecoder().decode(T.self, from: data)
    }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for character in hex.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: continue
            }
            if let h = high {
                result.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// SplitMix64: small, fast and reproducible from its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: Vector files

struct EnvelopeVectorFile: Decodable {
    let maximum_depth: Int
    let cases: [EnvelopeVector]
    let traceparent: [TraceParentVector]
}

/// A W3C `traceparent` text and what a receiver makes of it.
struct TraceParentVector: Decodable, CustomTestStringConvertible {
    let text: String
    let valid: Bool
    let trace_id: String?
    let parent_id: String?
    let flags: UInt8?
    let sampled: Bool?
    let note: String?

    var testDescription: String { note ?? text }
}

struct EnvelopeVector: Decodable, CustomTestStringConvertible {
    let name: String
    let frame: String
    let hex: String
    let valid: Bool
    let canonical: Bool?
    let decoded: [DecodedEnvelope]?
    let error: String?

    var testDescription: String { name }
    var bytes: [UInt8] { TestSupport.bytes(hex: hex) }
}

/// An envelope as the vector files spell it.
struct DecodedEnvelope: Decodable {
    let kind: String
    let call_id: UInt64?
    let actor: UInt64?
    let target: String?
    let generics: [String]?
    let args: [String]?
    let value: String?
    let code: String?
    let type: String?
    let message: String?
    let stack: [String]?
    let detail: String?
    let node: String?
    let pid: Int64?
    let actor_type: String?
    let reason: String?
    let container: String?
    let op: String?
    let call_ids: [UInt64]?
    let trace: [[String]]?

    /// The `Envelope` this entry describes.
    func envelope() throws -> Envelope {
        switch kind {
        case "CALL":
            return .call(Envelope.Call(
                callID: try need(call_id, "call_id"), actor: try need(actor, "actor"), target: try need(target, "target"),
                genericSubstitutions: try need(generics, "generics"), arguments: try need(args, "args").map(TestSupport.bytes(hex:)),
                trace: try trace.map { pairs in
                    Envelope.TraceContext(fields: try pairs.map { pair in
                        guard pair.count == 2 else { throw MissingVectorField(field: "a [name, value] trace field") }
                        return Envelope.TraceContext.Field(name: pair[0], value: pair[1])
                    })
                }))
        case "RETURN":
            return .return(Envelope.Return(callID: try need(call_id, "call_id"), value: TestSupport.bytes(hex: try need(value, "value"))))
        case "THROW":
            return .throw(Envelope.Throw(
                callID: try need(call_id, "call_id"), code: Envelope.Throw.Code(rawValue: try need(code, "code")),
                type: try need(type, "type"), message: try need(message, "message"), stack: try need(stack, "stack"),
                detail: detail.map(TestSupport.bytes(hex:))))
        case "READY":
            return .ready(Envelope.Ready(node: try need(node, "node"), pid: try need(pid, "pid"), actorType: try need(actor_type, "actor_type"), actor: try need(actor, "actor")))
        case "HEARTBEAT":
            return .heartbeat
        case "CANCEL":
            return .cancel(callID: try need(call_id, "call_id"))
        case "DISCONNECT":
            return .disconnect(reason: try need(reason, "reason"))
        case "GOODBYE":
            return .goodbye
        case "REJECT":
            return .reject(Envelope.Reject(code: try need(code, "code"), message: try need(message, "message")))
        case "WITHDRAW":
            return .withdraw(callIDs: try need(call_ids, "call_ids"))
        case "STATE":
            return .state(Envelope.StateOperation(
                callID: try need(call_id, "call_id"), container: try need(container, "container"),
                operation: try need(op, "op"), arguments: try need(args, "args").map(TestSupport.bytes(hex:))))
        default:
            throw MissingVectorField(field: "a known kind (got \(kind))")
        }
    }
}

struct MessagePackVectorFile: Decodable {
    let cases: [MessagePackVector]
}

struct MessagePackVector: Decodable {
    let name: String
    let swift: String
    let hex: String
    let encode: Bool?
    let error: String?

    var bytes: [UInt8] { TestSupport.bytes(hex: hex) }
}

enum Vectors {
    static let envelope: EnvelopeVectorFile = {
        do {
            return try TestSupport.loadJSON(EnvelopeVectorFile.self, "1-envelope-vectors.json")
        } catch {
            fatalError("cannot read Protocols/1-envelope-vectors.json: \(error)")
        }
    }()

    static let messagePack: [String: MessagePackVector] = {
        do {
            let file = try TestSupport.loadJSON(MessagePackVectorFile.self, "msgpack-vectors.json")
            return Dictionary(uniqueKeysWithValues: file.cases.map { ($0.name, $0) })
        } catch {
            fatalError("cannot read Protocols/msgpack-vectors.json: \(error)")
        }
    }()

    static var bodies: [EnvelopeVector] { envelope.cases.filter { $0.frame == "body" } }
    static var validBodies: [EnvelopeVector] { bodies.filter(\.valid) }
    static var rejectedBodies: [EnvelopeVector] { bodies.filter { !$0.valid } }
    static var signatures: [EnvelopeVector] { envelope.cases.filter { $0.frame == "signature" } }
}
