import Testing
@testable import Troupe
import TroupeWire

/// The map argument of batched state operations: the loop compiled for scalar pairs writes
/// the same bytes as encoding pair by pair.
struct MapArgumentWriterTests {
    /// Both encodings of `pairs`; `fast` is nil when the scalar loop declined them.
    private func encodings<Key: Encodable, Value: Encodable>(_ pairs: [(Key, Value)]) throws -> (fast: [UInt8]?, generic: [UInt8]) {
        var fast = MapArgumentWriter(count: pairs.count)
        let tookScalarLoop = fast.appendScalarPairs(pairs)
        var generic = MapArgumentWriter(count: pairs.count)
        for (key, value) in pairs { try generic.append(key, value) }
        return (tookScalarLoop ? fast.bytes : nil, generic.bytes)
    }

    @Test func scalarPairsEncodeAsPairByPair() throws {
        let ints = [0, -1, 127, 128, -33, 70_000, 1 << 40, Int.max, Int.min]
        let strings = ["", "a", "déjà vu", String(repeating: "x", count: 40)]
        let doubles = [0.0, -1.5, .infinity, 1e300]
        let bools = [true, false]
        func check<Key: Encodable, Value: Encodable>(_ pairs: [(Key, Value)]) throws {
            let (fast, generic) = try encodings(pairs)
            #expect(fast == generic, "\(Key.self) to \(Value.self)")
        }
        try check(ints.map { ($0, $0) })
        try check(ints.map { ($0, Double($0)) })
        try check(ints.map { ($0, "\($0)") })
        try check(ints.map { ($0, $0 % 2 == 0) })
        try check(strings.map { ($0, $0.count) })
        try check(zip(strings, doubles).map { ($0, $1) })
        try check(strings.map { ($0, $0) })
        try check(zip(strings, bools).map { ($0, $1) })

        let bytes = try #require(try encodings([(1, "one"), (-2, "minus two")]).fast)
        #expect(try MessagePackValue(decoding: bytes) == .map([(key: 1, value: "one"), (key: -2, value: "minus two")]))
    }

    @Test func otherTypesAreLeftToTheEncoder() throws {
        var writer = MapArgumentWriter(count: 1)
        let empty = writer.bytes
        let declined = [
            writer.appendScalarPairs([(UInt8(1), 2)]),
            writer.appendScalarPairs([(1, [1, 2])]),
            writer.appendScalarPairs([("k", Int32(3))]),
        ]
        #expect(declined == [false, false, false])
        #expect(writer.bytes == empty)
    }
}
