import Testing
@testable import TroupeWire

/// The codec against `Protocols/1-envelope-vectors.json`, made by Python's `msgpack`.
@Suite("Protocol 1 vectors")
struct EnvelopeVectorTests {
    @Test("the vector file is complete")
    func vectorFileIsComplete() {
        #expect(Vectors.envelope.maximum_depth == MessagePackReader.defaultMaximumDepth)
        #expect(Vectors.validBodies.count > 30)
        #expect(Vectors.rejectedBodies.count > 80)
        let kinds = Set(Vectors.validBodies.flatMap { $0.decoded ?? [] }.map(\.kind))
        #expect(kinds == Set(Envelope.Kind.allCases.map(\.description)))
        let codes = Set(Vectors.envelope.cases.compactMap(\.error))
        #expect(codes == ["truncated", "malformed", "unknownKind", "trailingBytes", "invalidUTF8", "nestingTooDeep", "badSignature", "unsupportedVersion"])
    }

    @Test("a valid body decodes to the envelopes listed", arguments: Vectors.validBodies)
    func validBody(_ vector: EnvelopeVector) throws {
        let expected = try (vector.decoded ?? []).map { try $0.envelope() }
        let decoded = try EnvelopeDecoder().decode(body: vector.bytes)
        #expect(decoded.count == expected.count)
        #expect(decoded == expected)
    }

    @Test("a canonical body is what EnvelopeWriter writes", arguments: Vectors.validBodies.filter { $0.canonical == true })
    func canonicalBody(_ vector: EnvelopeVector) throws {
        let expected = try (vector.decoded ?? []).map { try $0.envelope() }
        var writer = EnvelopeWriter()
        writer.append(contentsOf: expected)
        #expect(writer.count == expected.count)
        #expect(writer.bytes == vector.bytes, "writer gave \(TestSupport.hex(writer.bytes).prefix(200))")
    }

    @Test("a rejected body throws the code listed", arguments: Vectors.rejectedBodies)
    func rejectedBody(_ vector: EnvelopeVector) {
        let error = #expect(throws: WireError.self) {
            try EnvelopeDecoder().decode(body: vector.bytes)
        }
        #expect(error?.code.rawValue == vector.error, "\(error.map(String.init(describing:)) ?? "no error")")
        #expect(error?.offset != nil)
    }

    @Test("signature frames", arguments: Vectors.signatures)
    func signature(_ vector: EnvelopeVector) {
        if vector.valid {
            #expect(throws: Never.self) { try Signature.check(vector.bytes) }
            #expect(Signature.bytes == vector.bytes)
        } else {
            let error = #expect(throws: WireError.self) { try Signature.check(vector.bytes) }
            #expect(error?.code.rawValue == vector.error)
        }
    }

    /// Offsets to cut a body at: all of them for small bodies, a sample for large ones.
    static func cuts(of count: Int) -> [Int] {
        if count <= 4096 { return Array(0..<count) }
        var random = SeededRandom(seed: UInt64(count))
        var cuts = Set((0..<16).map { $0 } + (count - 16..<count).map { $0 })
        while cuts.count < 200 { cuts.insert(Int.random(in: 0..<count, using: &random)) }
        return cuts.sorted()
    }

    @Test("every truncation of a valid body is rejected, or is the body's envelopes up to that point", arguments: Vectors.validBodies)
    func truncation(_ vector: EnvelopeVector) throws {
        let body = vector.bytes
        let expected = try (vector.decoded ?? []).map { try $0.envelope() }
        // Where each envelope ends, found by decoding one envelope at a time.
        var boundaries: [Int: Int] = [:]
        if expected.count > 1, vector.canonical == true {
            var writer = EnvelopeWriter()
            for (index, envelope) in expected.enumerated() {
                writer.append(envelope)
                boundaries[writer.bytes.count] = index + 1
            }
        }
        let decoder = EnvelopeDecoder()
        var rejected = 0
        for cut in Self.cuts(of: body.count) {
            let prefix = Array(body[..<cut])
            if let envelopes = boundaries[cut] {
                #expect(try decoder.decode(body: prefix) == Array(expected[..<envelopes]))
                continue
            }
            do {
                _ = try decoder.decode(body: prefix)
                Issue.record("\(vector.name) cut at \(cut) of \(body.count) was accepted")
            } catch {
                #expect(error.code == .truncated, "\(vector.name) cut at \(cut): \(error)")
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }
}
