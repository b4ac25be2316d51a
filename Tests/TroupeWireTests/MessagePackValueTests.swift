import Foundation
import Testing
@testable import TroupeWire

@Suite("MessagePackValue")
struct MessagePackValueTests {
    /// A random value, `depth` levels deep at most.
    static func randomValue(_ random: inout SeededRandom, depth: Int = 0) -> MessagePackValue {
        let choice = Int.random(in: 0..<(depth > 4 ? 9 : 12), using: &random)
        switch choice {
        case 0: return .nil
        case 1: return .bool(.random(using: &random))
        case 2: return .int(.random(in: .min ... .max, using: &random) >> Int64.random(in: 0...63, using: &random))
        case 3: return .uint(.random(in: UInt64(Int64.max) + 1 ... .max, using: &random))
        case 4: return .float(Float(bitPattern: .random(in: 0...0x7f7f_ffff, using: &random)))
        case 5: return .double(.random(in: -1e300...1e300, using: &random))
        case 6: return .string(String((0..<Int.random(in: 0...40, using: &random)).map { _ in "aé✓𝄞 ".randomElement(using: &random)! }))
        case 7: return .binary((0..<Int.random(in: 0...40, using: &random)).map { _ in .random(in: 0...255, using: &random) })
        case 8: return .extension(type: .random(in: 0...127, using: &random), data: [UInt8](repeating: 1, count: .random(in: 0...20, using: &random)))
        case 9, 10:
            return .array((0..<Int.random(in: 0...20, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            return .map((0..<Int.random(in: 0...20, using: &random)).map { index in
                (key: index % 3 == 0 ? .int(Int64(index)) : .string("key\(index)"), value: randomValue(&random, depth: depth + 1))
            })
        }
    }

    @Test("random values survive the writer and reader, and the Codable coders", arguments: 0..<5)
    func roundTrip(seed: Int) throws {
        var random = SeededRandom(seed: 1000 + UInt64(seed))
        for _ in 0..<200 {
            let value = Self.randomValue(&random)
            let bytes = value.encoded
            #expect(try MessagePackValue(decoding: bytes) == value)
            #expect(try MessagePackEncoder().encode(value) == bytes)
            #expect(try MessagePackDecoder().decode(MessagePackValue.self, from: bytes) == value)
            #expect(try MessagePackDecoder().decode([MessagePackValue].self, from: MessagePackEncoder().encode([value, value])) == [value, value])
        }
    }

    @Test("integers compare and hash by value")
    func integerEquality() {
        #expect(MessagePackValue.int(5) == .uint(5))
        #expect(MessagePackValue.uint(5) == .int(5))
        #expect(MessagePackValue.int(-1) != .uint(UInt64.max))
        #expect(Set<MessagePackValue>([.int(5), .uint(5), .int(6)]).count == 2)
        // Hash tables take the one-word integer hash: equal integers of either case find
        // each other, and values that share a bit pattern but differ stay apart.
        var table: [MessagePackValue: String] = [.int(7): "int", .int(-1): "minus one", .string("7"): "string"]
        table[.uint(7)] = "uint"
        table[.uint(UInt64.max)] = "max"
        #expect(table.count == 4)
        #expect(table[.int(7)] == "uint" && table[.int(-1)] == "minus one" && table[.uint(UInt64.max)] == "max")
        #expect(table[.string("7")] == "string" && table[.double(7)] == nil)
        #expect(MessagePackValue.float(1.5) != .double(1.5))
        #expect(MessagePackValue.map([(key: "a", value: 1), (key: "b", value: 2)]) != .map([(key: "b", value: 2), (key: "a", value: 1)]))
    }

    @Test("literals and accessors")
    func accessors() {
        let value: MessagePackValue = ["name": "Ada", "age": 36, "ratio": 0.5, "ok": true, "none": nil, "list": [1, 2]]
        #expect(value["name"]?.stringValue == "Ada")
        #expect(value["age"]?.int64Value == 36)
        #expect(value["age"]?.uint64Value == 36)
        #expect(value["ratio"]?.doubleValue == 0.5)
        #expect(value["ok"]?.boolValue == true)
        #expect(value["none"]?.isNil == true)
        #expect(value["list"]?.arrayValue == [1, 2])
        #expect(value["missing"] == nil)
        #expect(value.type == .map)
        #expect(value.mapValue?.count == 6)
        #expect(MessagePackValue.binary([1]).binaryValue == [1])
        #expect(value.description == #"{"name": "Ada", "age": 36, "ratio": 0.5, "ok": true, "none": nil, "list": [1, 2]}"#)
    }

    @Test("decoding rejects trailing bytes")
    func trailing() {
        #expect(throws: WireError.self) { try MessagePackValue(decoding: [0x01, 0x02]) }
        #expect(throws: WireError.self) { try MessagePackValue(decoding: []) }
    }

    @Test("through JSON, the nearest forms")
    func throughJSON() throws {
        let value: MessagePackValue = ["a": [1, "two", nil, true, 2.5]]
        let json = try JSONEncoder().encode(value)
        #expect(String(decoding: json, as: UTF8.self) == #"{"a":[1,"two",null,true,2.5]}"#)
        #expect(try JSONDecoder().decode(MessagePackValue.self, from: json) == value)
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(MessagePackValue.map([(key: 1, value: 1)])) }
    }
}
