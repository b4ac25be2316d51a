import Testing
@testable import TroupeWire

/// The Codable mapping against `Protocols/msgpack-vectors.json`, made by Python's `msgpack`.
@Suite("MessagePack payload vectors")
struct MessagePackVectorTests {
    let encoder = MessagePackEncoder()
    let decoder = MessagePackDecoder()

    /// Checks one vector: the value encodes to exactly its bytes (when the vector says so) and
    /// the bytes decode back to the value.
    func check<T: Codable & Equatable>(_ name: String, _ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let vector = Vectors.messagePack[name] else {
            Issue.record("no vector \(name)", sourceLocation: sourceLocation)
            return
        }
        if vector.encode ?? true {
            let encoded = try encoder.encode(value)
            #expect(TestSupport.hex(encoded) == vector.hex, "\(name)", sourceLocation: sourceLocation)
        }
        let decoded = try decoder.decode(T.self, from: vector.bytes)
        #expect(decoded == value, "\(name)", sourceLocation: sourceLocation)
    }

    @Test("structs, optionals and nested structs")
    func structs() throws {
        try check("point", Point(x: 1, y: -2))
        try check("person", Person(name: "Ada", age: 36, email: nil, tags: ["math", "engines"], address: Address(street: "12 St James's Square", zip: 10001)))
        try check("person-with-email", Person(name: "Ada", age: 36, email: "ada@example.org", tags: [], address: Address(street: "", zip: 0)))
        try check("optional-nil", Int?.none)
        try check("optional-some", Int?.some(5))
        try check("int-widths-struct", Widths(i8: -128, i16: -32768, i32: -2_147_483_648, i64: .min, u8: 255, u16: 65535, u32: .max, u64: .max))
        try check("sixteen-fields", Sixteen())
    }

    @Test("enums as Swift synthesizes them")
    func enums() throws {
        try check("enum-circle", Shape.circle(radius: 1.5))
        try check("enum-rectangle", Shape.rectangle(width: 2, height: 3))
        try check("enum-no-payload", Shape.origin)
        try check("enum-unlabeled", Shape.labeled("a", count: 2))
        try check("enum-raw-value", Color.red)
    }

    @Test("scalars, arrays, dictionaries and bytes")
    func collections() throws {
        try check("int-array", [0, 127, 128, 255, 256, 65535, 65536, 4_294_967_295, 4_294_967_296, Int.max,
                                -1, -32, -33, -128, -129, -32768, -32769, -2_147_483_648, -2_147_483_649, Int.min])
        try check("uint64-max", UInt64.max)
        try check("string-dictionary", ["a": 1])
        try check("int-dictionary", [7: "seven"])
        try check("bytes", [UInt8]([0, 1, 255]))
        try check("bytes-256", [UInt8](repeating: 7, count: 256))
        try check("double", 0.1)
        try check("float", Float(1.5))
        try check("bool", true)
        try check("string-utf8", "héllo ✓")
        try check("string-40", String(repeating: "x", count: 40))
        try check("nested-arrays", [[1, 2], [3], []])
        try check("string-array", ["a", "", "ü"])
        try check("double-array", [0.5, -1.0])
        try check("numeric/double-32", (0..<32).map { Double($0) / 2 })
        try check("numeric/float-32", (0..<32).map { Float($0) })
        try check("numeric/int-32", (0..<32).map { $0 * -1000 })
        try check("numeric/int32-32", (0..<32).map { Int32($0) })
        try check("numeric/double-31", (0..<31).map { Double($0) })
        try check("optional-array", [1, nil, 3] as [Int?])
        try check("value-map", MessagePackValue.map([(key: "k", value: [1, nil, true]), (key: 1, value: "one")]))
    }

    @Test("forms other writers produce decode to the same values")
    func decodeOnly() throws {
        try check("decode/point-reordered", Point(x: 1, y: -2))
        try check("decode/point-extra-keys", Point(x: 1, y: -2))
        try check("decode/point-wide-ints", Point(x: 1, y: -2))
        try check("decode/int-key", [1: "a"])
        try #expect(decoder.decode([String: String].self, from: Vectors.messagePack["decode/int-key"]!.bytes) == ["1": "a"])
        try check("decode/double-from-int", Shape.circle(radius: 2))
        try check("decode/double-from-float32", Shape.circle(radius: 1.5))
        try check("decode/bytes-from-array", [UInt8]([1, 2, 3]))
        try check("decode/double-64-as-array", (0..<64).map { Double($0) })
        try check("decode/optional-explicit-nil", Person(name: "Ada", age: 36, email: nil, tags: [], address: Address(street: "", zip: 0)))
    }

    /// The `DecodingError` case's name.
    static func caseName(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch: "typeMismatch"
        case .valueNotFound: "valueNotFound"
        case .keyNotFound: "keyNotFound"
        case .dataCorrupted: "dataCorrupted"
        default: "not a DecodingError: \(error)"
        }
    }

    func reject<T: Decodable>(_ name: String, as type: T.Type, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let vector = Vectors.messagePack[name], let expected = vector.error else {
            Issue.record("no rejection vector \(name)", sourceLocation: sourceLocation)
            return
        }
        do {
            let value = try decoder.decode(T.self, from: vector.bytes)
            Issue.record("\(name) decoded to \(value)", sourceLocation: sourceLocation)
        } catch {
            #expect(Self.caseName(error) == expected, "\(name): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("what the decoder must reject")
    func rejected() {
        reject("reject/trailing-bytes", as: Point.self)
        reject("reject/type-mismatch", as: Point.self)
        reject("reject/missing-key", as: Point.self)
        reject("reject/nil-value", as: Point.self)
        reject("reject/overflow", as: Widths.self)
        reject("reject/negative-unsigned", as: Widths.self)
        reject("reject/invalid-utf8", as: String.self)
        reject("reject/truncated", as: Point.self)
        reject("reject/empty", as: Point.self)
        reject("reject/not-a-map", as: Point.self)
        reject("reject/int-from-float", as: Int.self)
        reject("reject/deep", as: MessagePackValue.self)
        reject("reject/numeric-partial-element", as: [Double].self)
        reject("reject/numeric-wrong-element", as: [Double].self)
    }

    @Test("every vector is covered")
    func coverage() {
        #expect(Vectors.messagePack.count == 56)
    }
}
