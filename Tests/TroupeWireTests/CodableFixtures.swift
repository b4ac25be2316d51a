@testable import TroupeWire

// The Swift types named by `Protocols/msgpack-vectors.json`.

struct Point: Codable, Equatable {
    var x: Int
    var y: Int
}

struct Address: Codable, Equatable {
    var street: String
    var zip: Int
}

struct Person: Codable, Equatable {
    var name: String
    var age: Int
    var email: String?
    var tags: [String]
    var address: Address
}

enum Shape: Codable, Equatable {
    case circle(radius: Double)
    case rectangle(width: Double, height: Double)
    case origin
    case labeled(String, count: Int)
}

enum Color: String, Codable {
    case red, green
}

struct Widths: Codable, Equatable {
    var i8: Int8
    var i16: Int16
    var i32: Int32
    var i64: Int64
    var u8: UInt8
    var u16: UInt16
    var u32: UInt32
    var u64: UInt64
}

struct Sixteen: Codable, Equatable {
    var f00 = 0, f01 = 1, f02 = 2, f03 = 3, f04 = 4, f05 = 5, f06 = 6, f07 = 7
    var f08 = 8, f09 = 9, f10 = 10, f11 = 11, f12 = 12, f13 = 13, f14 = 14, f15 = 15
}
