/// An unkeyed container over a MessagePack array in the decoder's buffer.
struct MessagePackUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: MessagePackDecoderImpl
    let header: Int
    let elementCount: Int
    /// How many arrays and maps enclose the elements (the array's own level).
    let level: Int
    /// The length of the decoder's coding path when the container was made.
    let pathDepth: Int
    /// Keys of the container's path beyond the decoder's (for nested containers).
    let extraPath: [any CodingKey]
    private(set) var currentIndex = 0
    /// The offset of the current element; when negative, `~offset` is the start of the
    /// previous element, whose end is not known yet.
    private var offset: Int

    init(decoder: MessagePackDecoderImpl, header: Int, first: Int, count: Int, level: Int, pathDepth: Int, extraPath: [any CodingKey]) {
        self.decoder = decoder
        self.header = header
        self.offset = first
        self.elementCount = count
        self.level = level
        self.pathDepth = pathDepth
        self.extraPath = extraPath
    }

    var codingPath: [any CodingKey] {
        var path = Array(decoder.codingPath.prefix(pathDepth))
        path.append(contentsOf: extraPath)
        return path
    }

    var count: Int? { elementCount }

    var isAtEnd: Bool { currentIndex >= elementCount }

    private var currentPath: [any CodingKey] {
        codingPath + [MessagePackCodingKey(index: currentIndex)]
    }

    /// The offset of the current element, resolving it when needed.
    private mutating func current(_ type: Any.Type) throws -> Int {
        guard currentIndex < elementCount else {
            throw DecodingError.valueNotFound(type, DecodingError.Context(codingPath: currentPath, debugDescription: "the array at byte \(header) has only \(elementCount) elements"))
        }
        if offset < 0 {
            offset = try decoder.end(ofValueAt: ~offset, depth: level, path: currentPath)
        }
        return offset
    }

    /// Moves to the next element, the current one (at `start`) ending at `end` (-1: unknown).
    @inline(__always)
    private mutating func advance(from start: Int, to end: Int) {
        currentIndex += 1
        if end >= 0 {
            offset = end
            if currentIndex == elementCount { decoder.complete(header, end) }
        } else {
            offset = ~start
        }
    }

    @inline(__always)
    private mutating func scalar<T: MessagePackPrimitive>(_ type: T.Type) throws -> T {
        let start = try current(T.self)
        let (value, end) = try decoder.decodeScalar(T.self, at: start, path: currentPath)
        advance(from: start, to: end)
        return value
    }

    mutating func decodeNil() throws -> Bool {
        let start = try current(Never?.self)
        guard decoder.isNil(at: start) else { return false }
        advance(from: start, to: start + 1)
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try scalar(type) }
    mutating func decode(_ type: String.Type) throws -> String { try scalar(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try scalar(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try scalar(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try scalar(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try scalar(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try scalar(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try scalar(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try scalar(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try scalar(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(type) }
    @available(macOS 15.0, *)
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try scalar(type) }
    @available(macOS 15.0, *)
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try scalar(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let start = try current(T.self)
        var end = -1
        let value = try decoder.decodeValue(T.self, at: start, depth: level, extraPath: extraPath, key: MessagePackCodingKey(index: currentIndex), end: &end)
        advance(from: start, to: end)
        return value
    }

    mutating func decodeIfPresent<T: Decodable>(_ type: T.Type) throws -> T? {
        if isAtEnd { return nil }
        if try decodeNil() { return nil }
        return try decode(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let start = try current(KeyedDecodingContainer<NestedKey>.self)
        let path = currentPath
        let map = try decoder.openMap(at: start, level: level + 1, path: path)
        advance(from: start, to: -1)
        return KeyedDecodingContainer(MessagePackKeyedDecodingContainer<NestedKey>(decoder: decoder, map: map, pathDepth: pathDepth, extraPath: Array(path.dropFirst(pathDepth))))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let start = try current((any UnkeyedDecodingContainer).self)
        let path = currentPath
        let (first, count) = try decoder.openArray(at: start, level: level + 1, path: path)
        advance(from: start, to: -1)
        return MessagePackUnkeyedDecodingContainer(decoder: decoder, header: start, first: first, count: count, level: level + 1, pathDepth: pathDepth, extraPath: Array(path.dropFirst(pathDepth)))
    }

    mutating func superDecoder() throws -> any Decoder {
        let start = try current((any Decoder).self)
        let path = currentPath
        advance(from: start, to: -1)
        return MessagePackDecoderImpl(bytes: decoder.bytes, userInfo: decoder.userInfo, maximumDepth: decoder.maximumDepth, position: start, depth: level, codingPath: path)
    }
}
