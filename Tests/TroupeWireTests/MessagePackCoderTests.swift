import Distributed
import Testing
@testable import TroupeWire

@Suite("MessagePack Codable coders")
struct MessagePackCoderTests {
    let encoder = MessagePackEncoder()
    let decoder = MessagePackDecoder()

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Writes `count` keys `k0…` into one keyed container, the values being their index.
    struct ManyKeys: Encodable {
        let count: Int
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            for index in 0..<count { try container.encode(index, forKey: AnyKey(stringValue: "k\(index)")) }
        }
    }

    @Test("keyed containers grow their header: fixmap, map 16, map 32", arguments: [0, 1, 15, 16, 17, 65535, 65536, 70000])
    func mapGrowth(count: Int) throws {
        let encoded = try encoder.encode(ManyKeys(count: count))
        var expected = MessagePackWriter()
        expected.writeMapHeader(count)
        for index in 0..<count {
            expected.writeString("k\(index)")
            expected.writeInt(Int64(index))
        }
        #expect(encoded == expected.bytes)
        let decoded = try decoder.decode([String: Int].self, from: encoded)
        #expect(decoded.count == count)
        #expect(decoded["k\(count - 1)"] == (count == 0 ? nil : count - 1))
    }

    @Test("unkeyed containers grow their header: fixarray, array 16, array 32", arguments: [0, 15, 16, 65535, 65536, 70000])
    func arrayGrowth(count: Int) throws {
        let values = (0..<count).map { Int16(truncatingIfNeeded: $0) }
        let encoded = try encoder.encode(values)
        var expected = MessagePackWriter()
        expected.writeArrayHeader(count)
        for value in values { expected.writeInt(Int64(value)) }
        #expect(encoded == expected.bytes)
        #expect(try decoder.decode([Int16].self, from: encoded) == values)
    }

    /// Nested containers that grow past 15 entries while their parents are still being filled.
    struct Nested: Codable, Equatable {
        var before: Int
        var items: [String: [Int]]
        var after: [Point]

        enum CodingKeys: String, CodingKey { case before, inner, after }
        enum InnerKeys: String, CodingKey { case items, list }

        init(before: Int, items: [String: [Int]], after: [Point]) {
            self.before = before
            self.items = items
            self.after = after
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(before, forKey: .before)
            var inner = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
            var itemsContainer = inner.nestedContainer(keyedBy: AnyKey.self, forKey: .items)
            for key in items.keys.sorted() {
                var list = itemsContainer.nestedUnkeyedContainer(forKey: AnyKey(stringValue: key))
                for value in items[key]! { try list.encode(value) }
            }
            var list = inner.nestedUnkeyedContainer(forKey: .list)
            for point in after {
                var pointContainer = list.nestedContainer(keyedBy: AnyKey.self)
                try pointContainer.encode(point.x, forKey: AnyKey(stringValue: "x"))
                try pointContainer.encode(point.y, forKey: AnyKey(stringValue: "y"))
            }
            try container.encode(after.count, forKey: .after)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            before = try container.decode(Int.self, forKey: .before)
            let inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
            let itemsContainer = try inner.nestedContainer(keyedBy: AnyKey.self, forKey: .items)
            var items: [String: [Int]] = [:]
            for key in itemsContainer.allKeys {
                var list = try itemsContainer.nestedUnkeyedContainer(forKey: key)
                var values: [Int] = []
                while !list.isAtEnd { values.append(try list.decode(Int.self)) }
                items[key.stringValue] = values
            }
            self.items = items
            var list = try inner.nestedUnkeyedContainer(forKey: .list)
            var after: [Point] = []
            while !list.isAtEnd {
                let point = try list.nestedContainer(keyedBy: AnyKey.self)
                after.append(Point(x: try point.decode(Int.self, forKey: AnyKey(stringValue: "x")), y: try point.decode(Int.self, forKey: AnyKey(stringValue: "y"))))
            }
            self.after = after
            #expect(try container.decode(Int.self, forKey: .after) == after.count)
        }
    }

    @Test("nested containers that grow while their parents are open")
    func nestedGrowth() throws {
        let items = Dictionary(uniqueKeysWithValues: (0..<20).map { ("key\($0)", Array(0..<($0 * 3))) })
        let value = Nested(before: -7, items: items, after: (0..<40).map { Point(x: $0, y: -$0) })
        let encoded = try encoder.encode(value)
        #expect(try decoder.decode(Nested.self, from: encoded) == value)
        let tree = try MessagePackValue(decoding: encoded)
        #expect(tree["before"] == -7)
        #expect(tree["inner"]?["items"]?.mapValue?.count == 20)
        #expect(tree["inner"]?["list"]?.arrayValue?.count == 40)
        #expect(tree["after"] == 40)
    }

    class Animal: Codable {
        var name: String
        init(name: String) { self.name = name }
    }

    final class Dog: Animal, @unchecked Sendable {
        var breed: String
        enum CodingKeys: String, CodingKey { case breed }
        init(name: String, breed: String) {
            self.breed = breed
            super.init(name: name)
        }
        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            breed = try container.decode(String.self, forKey: .breed)
            try super.init(from: container.superDecoder())
        }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(breed, forKey: .breed)
            try super.encode(to: container.superEncoder())
        }
    }

    @Test("superEncoder and superDecoder, keyed and unkeyed")
    func superCoders() throws {
        let encoded = try encoder.encode(Dog(name: "Rex", breed: "collie"))
        #expect(try MessagePackValue(decoding: encoded) == ["breed": "collie", "super": ["name": "Rex"]])
        let dog = try decoder.decode(Dog.self, from: encoded)
        #expect(dog.name == "Rex" && dog.breed == "collie")

        struct UnkeyedSuper: Codable, Equatable {
            var value: Int
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                try container.encode("first")
                var single = container.superEncoder().singleValueContainer()
                try single.encode(value)
                try container.encode("last")
            }
            init(value: Int) { self.value = value }
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                #expect(try container.decode(String.self) == "first")
                value = try container.superDecoder().singleValueContainer().decode(Int.self)
                #expect(try container.decode(String.self) == "last")
                #expect(container.isAtEnd)
            }
        }
        let unkeyed = try encoder.encode(UnkeyedSuper(value: 300))
        #expect(try MessagePackValue(decoding: unkeyed) == ["first", 300, "last"])
        #expect(try decoder.decode(UnkeyedSuper.self, from: unkeyed) == UnkeyedSuper(value: 300))
    }

    @Test("a value that encodes nothing is an empty map; asking twice for a container gives the same one")
    func containerReuse() throws {
        struct Nothing: Codable {
            func encode(to encoder: any Encoder) throws {}
            init() {}
            init(from decoder: any Decoder) throws {}
        }
        #expect(try encoder.encode(Nothing()) == [0x80])
        #expect(try encoder.encode([Nothing(), Nothing()]) == [0x92, 0x80, 0x80])
        _ = try decoder.decode([Nothing].self, from: [0x92, 0x80, 0x80])

        struct Twice: Encodable {
            func encode(to encoder: any Encoder) throws {
                var first = encoder.container(keyedBy: AnyKey.self)
                try first.encode(1, forKey: AnyKey(stringValue: "a"))
                var second = encoder.container(keyedBy: AnyKey.self)
                try second.encode(2, forKey: AnyKey(stringValue: "b"))
            }
        }
        #expect(try MessagePackValue(decoding: encoder.encode(Twice())) == ["a": 1, "b": 2])
    }

    @Test("misused containers throw EncodingError and leave the writer as it was")
    func misuse() throws {
        struct TwoSingles: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(1)
                try container.encode(2)
            }
        }
        struct SingleThenKeyed: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(1)
                var keyed = encoder.container(keyedBy: AnyKey.self)
                try keyed.encode(2, forKey: AnyKey(stringValue: "x"))
            }
        }
        struct KeyedThenUnkeyed: Encodable {
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: AnyKey.self)
                try keyed.encode(2, forKey: AnyKey(stringValue: "x"))
                var unkeyed = encoder.unkeyedContainer()
                try unkeyed.encode(3)
            }
        }
        var writer = MessagePackWriter()
        writer.writeArrayHeader(2)
        let before = writer.bytes
        #expect(throws: EncodingError.self) { try encoder.encode(TwoSingles(), into: &writer) }
        #expect(throws: EncodingError.self) { try encoder.encode([SingleThenKeyed()], into: &writer) }
        #expect(throws: EncodingError.self) { try encoder.encode(["a": KeyedThenUnkeyed()], into: &writer) }
        #expect(writer.bytes == before)
        try encoder.encode("ok", into: &writer)
        try encoder.encode(Point(x: 1, y: 2), into: &writer)
        #expect(try MessagePackValue(decoding: writer.bytes) == ["ok", ["x": 1, "y": 2]])
    }

    @Test("128-bit integers that fit 64 bits")
    func wideIntegers() throws {
        struct Wide: Codable, Equatable {
            var small: Int128
            var big: UInt128
        }
        let value = Wide(small: -5, big: UInt128(UInt64.max))
        let encoded = try encoder.encode(value)
        #expect(try MessagePackValue(decoding: encoded) == ["small": -5, "big": .uint(.max)])
        #expect(try decoder.decode(Wide.self, from: encoded) == value)
        #expect(throws: EncodingError.self) { try encoder.encode(Wide(small: Int128(Int64.min) - 1, big: 0)) }
        #expect(throws: EncodingError.self) { try encoder.encode([UInt128(UInt64.max) + 1]) }
    }

    @Test("errors carry the coding path")
    func codingPaths() throws {
        let person: MessagePackValue = ["name": "Ada", "age": 36, "tags": [], "address": ["street": "x", "zip": "not a number"]]
        let bytes = try encoder.encode(["people": [person]])
        do {
            _ = try decoder.decode([String: [Person]].self, from: bytes)
            Issue.record("decoded")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(context.codingPath.map(\.stringValue) == ["people", "Index 0", "address", "zip"])
            #expect(context.debugDescription.contains("expected int, found str"))
        }
        let missing = try encoder.encode([["x": 1]])
        do {
            _ = try decoder.decode([Point].self, from: missing)
            Issue.record("decoded")
        } catch DecodingError.keyNotFound(let key, let context) {
            #expect(key.stringValue == "y")
            #expect(context.codingPath.map(\.stringValue) == ["Index 0"])
        }

        struct Reporter: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(0, EncodingError.Context(codingPath: encoder.codingPath, debugDescription: "path"))
            }
        }
        struct Holder: Encodable {
            enum CodingKeys: String, CodingKey { case outer }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                var nested = container.nestedUnkeyedContainer(forKey: .outer)
                try nested.encode(1)
                try nested.encode(Reporter())
            }
        }
        do {
            _ = try encoder.encode(Holder())
            Issue.record("encoded")
        } catch EncodingError.invalidValue(_, let context) {
            #expect(context.codingPath.map(\.stringValue) == ["outer", "Index 1"])
        }
    }

    @Test("userInfo reaches encode(to:) and init(from:) as Decoder.userInfo")
    func userInfo() throws {
        let key = CodingUserInfoKey(rawValue: "troupe.test")!
        struct Probe: Codable {
            static let key = CodingUserInfoKey(rawValue: "troupe.test")!
            var seen: String
            init(seen: String) { self.seen = seen }
            init(from decoder: any Decoder) throws {
                seen = decoder.userInfo[Self.key] as? String ?? "missing"
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(encoder.userInfo[Self.key] as? String ?? "missing")
            }
        }
        var encoder = MessagePackEncoder()
        encoder.userInfo[key] = "from the encoder"
        let bytes = try encoder.encode([Probe(seen: "")])
        #expect(try MessagePackValue(decoding: bytes) == ["from the encoder"])
        var decoder = MessagePackDecoder(userInfo: [key: "from the decoder"])
        #expect(try decoder.decode([Probe].self, from: bytes).first?.seen == "from the decoder")
        decoder.userInfo = [:]
        #expect(try decoder.decode(Probe.self, from: [0xc0]).seen == "missing")
        #expect(decoder.userInfo.isEmpty)
    }

    @Test("a distributed actor system in userInfo is found by a distributed actor's init(from:)")
    func actorSystemKey() throws {
        let decoder = MessagePackDecoder(userInfo: [.actorSystemKey: LocalTestingDistributedActorSystem()])
        struct Reader: Decodable {
            let found: Bool
            init(from decoder: any Decoder) throws {
                found = decoder.userInfo[.actorSystemKey] is LocalTestingDistributedActorSystem
            }
        }
        #expect(try decoder.decode(Reader.self, from: [0x80]).found)
    }

    @Test("decoding from a reader consumes exactly one value")
    func decodeFromReader() throws {
        var writer = MessagePackWriter()
        try encoder.encode(Point(x: 1, y: 2), into: &writer)
        try encoder.encode("next", into: &writer)
        try encoder.encode(["extra": [1, 2, 3], "x": 5, "y": 6] as MessagePackValue, into: &writer)
        try encoder.encode(7, into: &writer)
        try writer.bytes.withUnsafeBytes { buffer throws in
            var reader = MessagePackReader(buffer)
            #expect(try decoder.decode(Point.self, from: &reader) == Point(x: 1, y: 2))
            #expect(try decoder.decode(String.self, from: &reader) == "next")
            let before = reader.position
            #expect(throws: DecodingError.self) { try decoder.decode(Person.self, from: &reader) }
            #expect(reader.position == before)
            #expect(try decoder.decode(Point.self, from: &reader) == Point(x: 5, y: 6))
            #expect(try decoder.decode(Int.self, from: &reader) == 7)
            #expect(reader.isAtEnd)
        }
    }

    @Test("keyed decoding: out of order, missing, allKeys, contains, decodeNil")
    func keyedAccess() throws {
        struct Probe: Decodable {
            enum CodingKeys: String, CodingKey { case a, b, c, d, missing }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                #expect(container.allKeys.map(\.stringValue) == ["a", "b", "c", "d"])
                #expect(container.contains(.c) && !container.contains(.missing))
                #expect(try container.decode(Int.self, forKey: .c) == 3)
                #expect(try container.decode(Int.self, forKey: .a) == 1)
                #expect(try container.decodeNil(forKey: .b))
                #expect(try container.decodeIfPresent(Int.self, forKey: .b) == nil)
                #expect(try container.decodeIfPresent(String.self, forKey: .missing) == nil)
                #expect(try container.decode([Int].self, forKey: .d) == [4])
                #expect(try container.decode(Int.self, forKey: .c) == 3)
                #expect(throws: DecodingError.self) { try container.decode(Int.self, forKey: .missing) }
                #expect(throws: DecodingError.self) { try container.decodeNil(forKey: .missing) }
            }
        }
        _ = try decoder.decode(Probe.self, from: encoder.encode(["a": 1, "b": nil, "c": 3, "d": [4]] as MessagePackValue))
    }

    @Test("unkeyed decoding: count, isAtEnd, and reading past the end")
    func unkeyedAccess() throws {
        struct Probe: Decodable {
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                #expect(container.count == 3)
                #expect(try container.decodeNil() == false)
                #expect(try container.decode(Int.self) == 1)
                #expect(try container.decodeNil() == true)
                #expect(try container.decodeIfPresent(Point.self) == Point(x: 1, y: 2))
                #expect(container.isAtEnd)
                #expect(try container.decodeIfPresent(Int.self) == nil)
                #expect(throws: DecodingError.self) { try container.decode(Int.self) }
            }
        }
        _ = try decoder.decode(Probe.self, from: encoder.encode([1, nil, ["x": 1, "y": 2]] as MessagePackValue))
    }

    indirect enum List: Codable, Equatable {
        case end
        case node(Int, next: List)

        init(length: Int) {
            self = .end
            for index in 0..<length { self = .node(index, next: self) }
        }
    }

    @Test("deep recursive values decode up to the limit and are rejected past it, without overflowing the stack")
    func deepRecursion() throws {
        // Each list node is two maps deep: {"node": {"_0": i, "next": …}}.
        let fits = List(length: 255)
        #expect(try decoder.decode(List.self, from: encoder.encode(fits)) == fits)
        let tooDeep = try encoder.encode(List(length: 300))
        do {
            _ = try decoder.decode(List.self, from: tooDeep)
            Issue.record("decoded")
        } catch DecodingError.dataCorrupted(let context) {
            #expect((context.underlyingError as? WireError)?.code == .nestingTooDeep)
        }
        let shallow = MessagePackDecoder(maximumDepth: 10)
        #expect(throws: DecodingError.self) { try shallow.decode(List.self, from: encoder.encode(List(length: 5))) }
        #expect(try shallow.decode(List.self, from: encoder.encode(List(length: 4))) == List(length: 4))
    }

    @Test("Double and Float accept integers; integers do not accept floats")
    func numericLeniency() throws {
        #expect(try decoder.decode(Double.self, from: [0x05]) == 5)
        #expect(try decoder.decode(Float.self, from: [0xd0, 0xfb]) == -5)
        #expect(try decoder.decode([Double].self, from: [0x92, 0x01, 0xca, 0x3f, 0xc0, 0, 0]) == [1, 1.5])
        #expect(throws: DecodingError.self) { try decoder.decode(Int.self, from: [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]) }
        #expect(throws: DecodingError.self) { try decoder.decode(Bool.self, from: [0x01]) }
        #expect(throws: DecodingError.self) { try decoder.decode(String.self, from: [0xc4, 0x01, 0x61]) }
    }

    @Test("values round-trip through the coders", arguments: 0..<4)
    func roundTrips(seed: Int) throws {
        struct Everything: Codable, Equatable {
            var int: Int
            var int8: Int8
            var uint64: UInt64
            var double: Double
            var float: Float
            var bool: Bool
            var string: String
            var bytes: [UInt8]
            var optional: Int?
            var nested: [Point]
            var dictionary: [String: [Int]]
            var set: Set<String>
            var shape: Shape
            var color: Color
            var value: MessagePackValue
        }
        var random = SeededRandom(seed: UInt64(seed))
        for _ in 0..<50 {
            let value = Everything(
                int: .random(in: .min ... .max, using: &random), int8: .random(in: .min ... .max, using: &random),
                uint64: .random(in: .min ... .max, using: &random), double: .random(in: -1e10...1e10, using: &random),
                float: .random(in: -1e5...1e5, using: &random), bool: .random(using: &random),
                string: String(repeating: "ü", count: .random(in: 0...40, using: &random)),
                bytes: (0..<Int.random(in: 0...300, using: &random)).map { _ in .random(in: 0...255, using: &random) },
                optional: Bool.random(using: &random) ? nil : 5,
                nested: (0..<Int.random(in: 0...20, using: &random)).map { Point(x: $0, y: -$0) },
                dictionary: ["a": [1], "b": [], "c": Array(0..<20)],
                set: ["x", "y"], shape: [Shape.origin, .circle(radius: 2), .labeled("z", count: -1)].randomElement(using: &random)!,
                color: .green, value: ["k": [1, 2.5, "s", nil, .binary([1])], "n": .uint(.max)])
            let encoded = try encoder.encode(value)
            #expect(try decoder.decode(Everything.self, from: encoded) == value)
            #expect(try MessagePackValue(decoding: encoded).mapValue?.count == (value.optional == nil ? 14 : 15))
        }
    }
}
