import Testing
@testable import TroupeWire

/// Arrays of fixed-width numbers travel as one `ext` of little-endian bytes when long, as
/// ordinary arrays when short; readers take either.
struct NumericArrayTests {
    @Test func longArraysTravelAsOneExtensionAndComeBackEqual() throws {
        let doubles = (0..<1000).map { Double($0) * 0.5 - 7 }
        let encoded = try MessagePackEncoder().encode(doubles)
        // ext 16 header (3 bytes), the type, then 8 bytes per element.
        #expect(encoded.count == 4 + 8 * 1000)
        #expect(encoded[0] == 0xc8 && encoded[3] == UInt8(NumericArrayExtension.ElementType.float64.rawValue))
        #expect(try MessagePackDecoder().decode([Double].self, from: encoded) == doubles)

        let ints = (0..<100).map { $0 * -3 }
        #expect(try MessagePackDecoder().decode([Int].self, from: try MessagePackEncoder().encode(ints)) == ints)
        let floats: [Float] = (0..<64).map { Float($0) / 3 }
        #expect(try MessagePackDecoder().decode([Float].self, from: try MessagePackEncoder().encode(floats)) == floats)
        let int32s: [Int32] = (0..<40).map { Int32($0) - 20 }
        #expect(try MessagePackDecoder().decode([Int32].self, from: try MessagePackEncoder().encode(int32s)) == int32s)
    }

    @Test func shortArraysStayOrdinaryArrays() throws {
        let encoded = try MessagePackEncoder().encode([1.5, 2.5])
        #expect(encoded == [0x92, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xcb, 0x40, 0x04, 0, 0, 0, 0, 0, 0])
    }

    @Test func readersTakeBothFormsAndNestedArrays() throws {
        struct Sample: Codable, Equatable {
            var name: String
            var values: [Double]
        }
        let sample = Sample(name: "s", values: (0..<50).map(Double.init))
        #expect(try MessagePackDecoder().decode(Sample.self, from: try MessagePackEncoder().encode(sample)) == sample)
        // A long array written element by element (as another implementation may) reads too.
        var writer = MessagePackWriter()
        writer.writeArrayHeader(40)
        for index in 0..<40 { writer.writeDouble(Double(index)) }
        #expect(try MessagePackDecoder().decode([Double].self, from: writer.bytes) == (0..<40).map(Double.init))
    }

    @Test func aBadExtensionIsRefused() throws {
        // 9 bytes cannot be whole 8-byte elements.
        var odd: [UInt8] = [0xc7, 9, UInt8(NumericArrayExtension.ElementType.float64.rawValue)]
        odd += [UInt8](repeating: 0, count: 9)
        #expect(throws: (any Error).self) { try MessagePackDecoder().decode([Double].self, from: odd) }
        // An array of 32-bit floats is not an array of doubles.
        let floats = try MessagePackEncoder().encode((0..<40).map { Float($0) })
        #expect(throws: (any Error).self) { try MessagePackDecoder().decode([Double].self, from: floats) }
    }

    @Test func arraysOfOptionalsReadTheirNilsValuesAndTheBulkForm() throws {
        let ints: [Int?] = [1, nil, -300, nil, Int.max]
        #expect(try MessagePackDecoder().decode([Int?].self, from: try MessagePackEncoder().encode(ints)) == ints)
        let strings: [String?] = [nil, "a", "", nil]
        #expect(try MessagePackDecoder().decode([String?].self, from: try MessagePackEncoder().encode(strings)) == strings)
        let doubles: [Double?] = [0.5, nil, -2]
        #expect(try MessagePackDecoder().decode([Double?].self, from: try MessagePackEncoder().encode(doubles)) == doubles)
        let int64s: [Int64?] = [nil, 7]
        #expect(try MessagePackDecoder().decode([Int64?].self, from: try MessagePackEncoder().encode(int64s)) == int64s)
        // A long array without nil may come in the bulk form.
        let bulk = try MessagePackEncoder().encode((0..<40).map { $0 * 3 })
        #expect(bulk[0] == 0xc7 || bulk[0] == 0xc8)
        #expect(try MessagePackDecoder().decode([Int?].self, from: bulk) == (0..<40).map { Optional($0 * 3) })
        // A string where a number belongs is refused, not read as nil.
        let mixed = try MessagePackEncoder().encode(MessagePackValue.array([.int(1), .string("x")]))
        #expect(throws: (any Error).self) { try MessagePackDecoder().decode([Int?].self, from: mixed) }
    }
}
