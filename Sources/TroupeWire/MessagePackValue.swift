/// A MessagePack value of any type, held in memory.
///
/// `MessagePackValue` is what a shared-state owner stores and what tests compare: it keeps a
/// value exactly as it was on the wire (map order, `float 32` versus `float 64`, extension
/// types), so writing a value read from bytes gives the same bytes back, as long as those
/// bytes used the smallest forms (as every Troupe writer and Python's `msgpack` do).
///
/// Integers compare by value: `.int(5) == .uint(5)`. A reader produces `.int` for every integer
/// that fits `Int64` and `.uint` only above `Int64.max`. Maps compare in order. Floating-point
/// values compare as Swift's `Float` and `Double` do (`nan != nan`).
///
/// It is `Codable`: through ``MessagePackEncoder`` and ``MessagePackDecoder`` it is written and
/// read as the raw value; through other coders it maps to their nearest forms.
public enum MessagePackValue: Sendable {
    /// `nil`.
    case `nil`
    /// `true` or `false`.
    case bool(Bool)
    /// A signed integer (every integer that fits `Int64`).
    case int(Int64)
    /// An unsigned integer; readers use it only for values above `Int64.max`.
    case uint(UInt64)
    /// A `float 32`.
    case float(Float)
    /// A `float 64`.
    case double(Double)
    /// A `str`.
    case string(String)
    /// A `bin`.
    case binary([UInt8])
    /// An array.
    case array([MessagePackValue])
    /// A map, its pairs in wire order. Keys may be any value, though Troupe writes only `str`.
    case map([(key: MessagePackValue, value: MessagePackValue)])
    /// An extension value: an application-defined type and its payload.
    case `extension`(type: Int8, data: [UInt8])
}

extension MessagePackValue: Hashable {
    /// Compares two values: integers by value whatever their case, maps pair by pair in order.
    /// - Parameters:
    ///   - lhs: A value.
    ///   - rhs: Another value.
    /// - Returns: Whether the two values are equal.
    public static func == (lhs: MessagePackValue, rhs: MessagePackValue) -> Bool {
        switch (lhs, rhs) {
        case (.nil, .nil): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.uint(a), .uint(b)): return a == b
        case let (.int(a), .uint(b)), let (.uint(b), .int(a)): return a >= 0 && UInt64(a) == b
        case let (.float(a), .float(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.binary(a), .binary(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.map(a), .map(b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where x.key != y.key || x.value != y.value { return false }
            return true
        case let (.extension(t1, d1), .extension(t2, d2)): return t1 == t2 && d1 == d2
        default: return false
        }
    }

    /// Hashes the value consistently with ``==(_:_:)``.
    /// - Parameter hasher: The hasher to feed.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .nil:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8); hasher.combine(value)
        // An integer feeds its bit pattern alone: equal integers of either case have the same
        // one, and a negative `.int` that shares it with a `.uint` is told apart by `==`.
        case .int(let value):
            hasher.combine(UInt64(bitPattern: value))
        case .uint(let value):
            hasher.combine(value)
        case .float(let value):
            hasher.combine(3 as UInt8); hasher.combine(value)
        case .double(let value):
            hasher.combine(4 as UInt8); hasher.combine(value)
        case .string(let value):
            hasher.combine(5 as UInt8); hasher.combine(value)
        case .binary(let value):
            hasher.combine(6 as UInt8); hasher.combine(value)
        case .array(let value):
            hasher.combine(7 as UInt8); hasher.combine(value)
        case .map(let pairs):
            hasher.combine(8 as UInt8); hasher.combine(pairs.count)
            for pair in pairs {
                hasher.combine(pair.key); hasher.combine(pair.value)
            }
        case .extension(let type, let data):
            hasher.combine(9 as UInt8); hasher.combine(type); hasher.combine(data)
        }
    }

    /// The hash a hash table asks for (Swift's `Dictionary` and swift-collections'
    /// `OrderedDictionary` call this, not ``hash(into:)``). An integer, the usual key of a
    /// shared dictionary, takes the one-word hash that `UInt64` uses, which is several times
    /// cheaper than a streaming `Hasher`; any other value is hashed by ``hash(into:)``.
    public func _rawHashValue(seed: Int) -> Int {
        switch self {
        case .int(let value): return UInt64(bitPattern: value)._rawHashValue(seed: seed)
        case .uint(let value): return value._rawHashValue(seed: seed)
        default:
            var hasher = Hasher()
            hasher.combine(seed)
            hash(into: &hasher)
            return hasher.finalize()
        }
    }
}

extension MessagePackValue {
    /// The value's type family.
    public var type: MessagePackType {
        switch self {
        case .nil: .nil
        case .bool: .bool
        case .int, .uint: .integer
        case .float, .double: .float
        case .string: .string
        case .binary: .binary
        case .array: .array
        case .map: .map
        case .extension: .extension
        }
    }

    /// Whether the value is `nil`.
    public var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    /// The value as a `Bool`, when it is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an `Int64`, when it is an integer that fits.
    public var int64Value: Int64? {
        switch self {
        case .int(let value): value
        case .uint(let value): Int64(exactly: value)
        default: nil
        }
    }

    /// The value as a `UInt64`, when it is a non-negative integer.
    public var uint64Value: UInt64? {
        switch self {
        case .int(let value): UInt64(exactly: value)
        case .uint(let value): value
        default: nil
        }
    }

    /// The value as a `Double`, when it is a float (either width).
    public var doubleValue: Double? {
        switch self {
        case .float(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The value as a `String`, when it is a `str`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value's bytes, when it is a `bin`.
    public var binaryValue: [UInt8]? {
        if case .binary(let value) = self { return value }
        return nil
    }

    /// The value's elements, when it is an array, or a numeric array in its bulk form (an
    /// `ext` of ``NumericArrayExtension``: Protocol 1 has readers take both forms alike).
    public var arrayValue: [MessagePackValue]? {
        switch self {
        case .array(let value):
            return value
        case .extension(let type, let data):
            return NumericArrayExtension.elements(type: type, data: data)
        default:
            return nil
        }
    }

    /// The value's pairs in order, when it is a map.
    public var mapValue: [(key: MessagePackValue, value: MessagePackValue)]? {
        if case .map(let value) = self { return value }
        return nil
    }

    /// The value of the first pair whose key is the string `key`, when this is a map.
    /// - Parameter key: The string key to look up.
    /// - Returns: The value, or `nil` when this is not a map or has no such key.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs where pair.key == .string(key) { return pair.value }
        return nil
    }
}

extension MessagePackValue: CustomStringConvertible {
    /// A compact, JSON-like rendering of the value, for debugging and test failures.
    public var description: String {
        switch self {
        case .nil: return "nil"
        case .bool(let value): return String(value)
        case .int(let value): return String(value)
        case .uint(let value): return String(value)
        case .float(let value): return "\(value)f"
        case .double(let value): return String(value)
        case .string(let value): return String(reflecting: value)
        case .binary(let value):
            return "bin(" + value.map { String($0, radix: 16).leftPadded(to: 2) }.joined() + ")"
        case .array(let values):
            return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .map(let pairs):
            return "{" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .extension(let type, let data):
            return "ext(\(type), " + data.map { String($0, radix: 16).leftPadded(to: 2) }.joined() + ")"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
