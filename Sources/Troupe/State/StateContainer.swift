import DequeModule
import OrderedCollections
import TroupeWire

/// One named container held by a ``StateStore``: its kind and its contents.
enum StateContainer: Sendable {
    case dictionary(OrderedDictionary<MessagePackValue, MessagePackValue>)
    case array(SharedArrayStorage)
    case list([MessagePackValue])
    case value(MessagePackValue)
    case queue(Deque<MessagePackValue>)
    case lock(holder: LockHolder?)

    /// The kind's name, as in the `create` operation.
    var kind: String {
        switch self {
        case .dictionary: return "dict"
        case .array: return "array"
        case .list: return "list"
        case .value: return "value"
        case .queue: return "queue"
        case .lock: return "lock"
        }
    }
}

/// Who holds a shared lock: the node of the process, and the token of the acquiring proxy call.
struct LockHolder: Sendable, Equatable {
    let node: String
    let token: UInt64
}

/// The elements of a shared fixed-size array, stored at their declared width.
enum SharedArrayStorage: Sendable {
    case int32([Int32])
    case int64([Int64])
    case double([Double])

    /// Python's type code: "i", "l" or "d".
    var typeCode: String {
        switch self {
        case .int32: return "i"
        case .int64: return "l"
        case .double: return "d"
        }
    }

    var count: Int {
        switch self {
        case .int32(let values): return values.count
        case .int64(let values): return values.count
        case .double(let values): return values.count
        }
    }

    /// Creates storage of `typeCode` holding `values`.
    init(typeCode: String, values: [MessagePackValue]) throws(TroupeError) {
        switch typeCode {
        case "i":
            self = .int32(try values.map { value throws(TroupeError) in try Self.int32(value) })
        case "l":
            self = .int64(try values.map { value throws(TroupeError) in try Self.int64(value) })
        case "d":
            self = .double(try values.map { value throws(TroupeError) in try Self.double(value) })
        default:
            throw TroupeError(.invalidArgument, "unknown array type code '\(typeCode)': use \"i\" (Int32), \"l\" (Int64) or \"d\" (Double)")
        }
    }

    subscript(index: Int) -> MessagePackValue {
        switch self {
        case .int32(let values): return .int(Int64(values[index]))
        case .int64(let values): return .int(values[index])
        case .double(let values): return .double(values[index])
        }
    }

    /// Stores `value` at `index`, checking its type and range.
    mutating func set(_ index: Int, _ value: MessagePackValue) throws(TroupeError) {
        // Convert first (it may throw), then release `self`'s reference so the write is in place.
        switch self {
        case .int32(var values):
            let element = try Self.int32(value)
            self = .int32([])
            values[index] = element
            self = .int32(values)
        case .int64(var values):
            let element = try Self.int64(value)
            self = .int64([])
            values[index] = element
            self = .int64(values)
        case .double(var values):
            let element = try Self.double(value)
            self = .double([])
            values[index] = element
            self = .double(values)
        }
    }

    /// Adds `delta` at `index` and returns the new element; overflow is an error and changes nothing.
    mutating func add(_ index: Int, _ delta: MessagePackValue) throws(TroupeError) -> MessagePackValue {
        switch self {
        case .int32(var values):
            let (sum, overflow) = values[index].addingReportingOverflow(try Self.int32(delta))
            if overflow { throw TroupeError(.invalidArgument, "adding \(delta) to \(values[index]) overflows Int32") }
            self = .int32([])
            values[index] = sum
            self = .int32(values)
            return .int(Int64(sum))
        case .int64(var values):
            let (sum, overflow) = values[index].addingReportingOverflow(try Self.int64(delta))
            if overflow { throw TroupeError(.invalidArgument, "adding \(delta) to \(values[index]) overflows Int64") }
            self = .int64([])
            values[index] = sum
            self = .int64(values)
            return .int(sum)
        case .double(var values):
            let step = try Self.double(delta)
            self = .double([])
            values[index] += step
            let sum = values[index]
            self = .double(values)
            return .double(sum)
        }
    }

    var snapshot: MessagePackValue {
        switch self {
        case .int32(let values): return .array(values.map { .int(Int64($0)) })
        case .int64(let values): return .array(values.map { .int($0) })
        case .double(let values): return .array(values.map { .double($0) })
        }
    }

    private static func int32(_ value: MessagePackValue) throws(TroupeError) -> Int32 {
        guard let wide = value.int64Value else {
            throw TroupeError(.typeMismatch, "this array holds Int32 ('i') elements; \(value) is not an integer")
        }
        guard let narrow = Int32(exactly: wide) else {
            throw TroupeError(.invalidArgument, "\(wide) does not fit an Int32 ('i') element")
        }
        return narrow
    }

    private static func int64(_ value: MessagePackValue) throws(TroupeError) -> Int64 {
        guard let wide = value.int64Value else {
            throw TroupeError(.typeMismatch, "this array holds Int64 ('l') elements; \(value) is not an integer that fits")
        }
        return wide
    }

    private static func double(_ value: MessagePackValue) throws(TroupeError) -> Double {
        switch value {
        case .double(let number): return number
        case .float(let number): return Double(number)
        case .int(let number): return Double(number)
        default:
            throw TroupeError(.typeMismatch, "this array holds Double ('d') elements; \(value) is not a number")
        }
    }
}
