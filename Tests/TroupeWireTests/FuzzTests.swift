import Testing
@testable import TroupeWire

/// Random and mutated input: nothing may crash, everything accepted must be stable, and every
/// outcome is counted. Seeded, so a failure reproduces.
@Suite("Fuzz")
struct FuzzTests {
    /// Bytes that are likely to start MessagePack headers, to get past the first byte often.
    static let interesting: [UInt8] = [
        0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x95, 0x96, 0x97, 0x9f, 0xa0, 0xa1, 0xbf, 0xc0, 0xc1,
        0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd3, 0xd4, 0xd8,
        0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20,
    ]

    static func mutate(_ input: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = .random(in: 0...255, using: &random)
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = interesting.randomElement(using: &random)!
            case 2:
                bytes.insert(interesting.randomElement(using: &random)!, at: Int.random(in: 0...bytes.count, using: &random))
            case 3 where !bytes.isEmpty:
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
            case 4 where !bytes.isEmpty:
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
            case 5 where !bytes.isEmpty:
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &random)
            default:
                let start = Int.random(in: 0...bytes.count, using: &random)
                let end = Int.random(in: start...bytes.count, using: &random)
                bytes.append(contentsOf: bytes[start..<end])
            }
        }
        return bytes
    }

    /// Decodes `body`; when accepted, re-encodes and decodes again, which must give the same.
    static func exercise(_ body: [UInt8], _ outcomes: inout [String: Int]) {
        do throws(WireError) {
            let envelopes = try EnvelopeDecoder().decode(body: body)
            outcomes["accepted", default: 0] += 1
            var writer = EnvelopeWriter()
            writer.append(contentsOf: envelopes)
            let again = try EnvelopeDecoder().decode(body: writer.bytes)
            #expect(again == envelopes)
            // Arguments and values are well-formed MessagePack.
            for envelope in envelopes {
                if case .call(let call) = envelope {
                    for argument in call.arguments { _ = try MessagePackValue(decoding: argument) }
                }
                if case .return(let result) = envelope { _ = try MessagePackValue(decoding: result.value) }
            }
        } catch {
            outcomes[error.code.rawValue, default: 0] += 1
            #expect(error.offset.map { $0 >= 0 && $0 <= body.count } ?? false, "\(error)")
        }
    }

    @Test("mutated envelope bodies")
    func mutatedBodies() {
        var random = SeededRandom(seed: 0x7472_7001)
        let seeds = Vectors.bodies.map(\.bytes).filter { $0.count <= 600 }
        var outcomes: [String: Int] = [:]
        for _ in 0..<30_000 {
            let base = seeds.randomElement(using: &random)!
            Self.exercise(Self.mutate(base, &random), &outcomes)
        }
        print("fuzz: 30000 mutated bodies →", outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        #expect(outcomes.values.reduce(0, +) == 30_000)
        #expect(outcomes["accepted", default: 0] > 300)
        #expect(outcomes["truncated", default: 0] > 1000)
        #expect(outcomes["malformed", default: 0] > 1000)
    }

    @Test("random bodies")
    func randomBodies() {
        var random = SeededRandom(seed: 42)
        var outcomes: [String: Int] = [:]
        for _ in 0..<30_000 {
            let count = Int.random(in: 0...48, using: &random)
            var body = (0..<count).map { _ in
                Bool.random(using: &random) ? Self.interesting.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) {
                // Half of them start like a real envelope, to get past the kind and arity.
                let kind = Envelope.Kind.allCases.randomElement(using: &random)!
                body.insert(contentsOf: [0x90 | UInt8(kind.arity), kind.rawValue], at: 0)
            }
            Self.exercise(body, &outcomes)
        }
        print("fuzz: 30000 random bodies →", outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        #expect(outcomes.values.reduce(0, +) == 30_000)
        #expect(outcomes.count >= 6)
        #expect(outcomes["accepted", default: 0] > 10)
    }

    @Test("mutated Codable payloads")
    func mutatedPayloads() throws {
        var random = SeededRandom(seed: 7)
        let encoder = MessagePackEncoder()
        let decoder = MessagePackDecoder()
        let seeds: [[UInt8]] = [
            try encoder.encode(Person(name: "Ada", age: 36, email: "a@b", tags: ["x", "y"], address: Address(street: "s", zip: 1))),
            try encoder.encode([Shape.circle(radius: 1), .labeled("q", count: 3), .origin]),
            try encoder.encode(["k": [1, 2, 3], "j": []]),
        ]
        var outcomes: [String: Int] = [:]
        for _ in 0..<20_000 {
            let bytes = Self.mutate(seeds.randomElement(using: &random)!, &random)
            for attempt in 0..<4 {
                do {
                    switch attempt {
                    case 0: _ = try decoder.decode(Person.self, from: bytes)
                    case 1: _ = try decoder.decode([Shape].self, from: bytes)
                    case 2: _ = try decoder.decode([String: [Int]].self, from: bytes)
                    default: _ = try decoder.decode(MessagePackValue.self, from: bytes)
                    }
                    outcomes["accepted", default: 0] += 1
                } catch let error as DecodingError {
                    outcomes[MessagePackVectorTests.caseName(error), default: 0] += 1
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
        }
        print("fuzz: 20000 mutated payloads × 4 types →", outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        #expect(outcomes["accepted", default: 0] > 100)
        #expect(outcomes.count == 5)
    }
}
