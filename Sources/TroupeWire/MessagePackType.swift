/// The type family of a MessagePack value, as told by its first byte.
///
/// Integer formats (positive and negative fixint, `uint 8`…`uint 64`, `int 8`…`int 64`) are one
/// family, ``integer``; so are `float 32` and `float 64` (``float``). The reader's typed reads
/// accept every width of a family that fits the requested Swift type.
public enum MessagePackType: Sendable, Hashable, CustomStringConvertible {
    /// `nil` (`0xc0`).
    case `nil`
    /// `true` or `false` (`0xc3`, `0xc2`).
    case bool
    /// Any integer format.
    case integer
    /// `float 32` or `float 64`.
    case float
    /// A UTF-8 string (`fixstr`, `str 8/16/32`).
    case string
    /// A byte array (`bin 8/16/32`).
    case binary
    /// An array (`fixarray`, `array 16/32`).
    case array
    /// A map (`fixmap`, `map 16/32`).
    case map
    /// An extension value (`fixext 1…16`, `ext 8/16/32`).
    case `extension`

    /// Classifies a first byte, or returns `nil` for `0xc1`, the one byte MessagePack never uses.
    /// - Parameter byte: The first byte of a value.
    /// - Returns: The type family, or `nil` when the byte cannot start a value.
    @inlinable
    public init?(firstByte byte: UInt8) {
        switch byte {
        case 0x00...0x7f, 0xe0...0xff, 0xcc...0xd3: self = .integer
        case 0x80...0x8f, 0xde, 0xdf: self = .map
        case 0x90...0x9f, 0xdc, 0xdd: self = .array
        case 0xa0...0xbf, 0xd9...0xdb: self = .string
        case 0xc0: self = .nil
        case 0xc2, 0xc3: self = .bool
        case 0xc4...0xc6: self = .binary
        case 0xc7...0xc9, 0xd4...0xd8: self = .extension
        case 0xca, 0xcb: self = .float
        default: return nil
        }
    }

    /// The family's name as MessagePack's specification spells it (`"int"`, `"str"`, …).
    public var description: String {
        switch self {
        case .nil: "nil"
        case .bool: "bool"
        case .integer: "int"
        case .float: "float"
        case .string: "str"
        case .binary: "bin"
        case .array: "array"
        case .map: "map"
        case .extension: "ext"
        }
    }
}
