/// The `Decoder` handed to `init(from:)`: one per top-level `decode` call, shared by every
/// nested value. It reads the caller's buffer in place.
///
/// Keyed containers find their keys through a *cursor* per nesting level (which entry comes
/// next, and where), so that keys asked for in the order they were written cost one
/// comparison each. The cursor is only a hint: a container that finds another container's
/// cursor in its level (which happens only when containers are used out of order) scans its
/// map from the start. Where a value ends is known without skipping it when it was decoded
/// completely — a scalar, or a container whose every element was read; `completedStart` and
/// `completedEnd` record the last such value.
final class MessagePackDecoderImpl: Decoder, SingleValueDecodingContainer {
    /// Where a keyed container's next entry is, for the container whose header is at `header`.
    struct Cursor {
        var header = -1
        /// The index of the next entry.
        var index = 0
        /// The offset of the next entry; when negative, `~offset` is the start of the previous
        /// entry's value, whose end is not known yet.
        var offset = 0
    }

    /// What a keyed container knows about its map.
    struct Map {
        let header: Int
        let firstEntry: Int
        let count: Int
        /// How many arrays and maps enclose the map's entries (the map's own level).
        let level: Int
    }

    // The mutable state is `@exclusivity(unchecked)`: a decoder is used by the one thread
    // running its `decode` call and never escapes it, and the dynamic checks Swift would
    // otherwise make on every access to a class property cost more than the decoding itself.

    let bytes: UnsafeRawBufferPointer
    let userInfo: [CodingUserInfoKey: Any]
    let maximumDepth: Int
    @exclusivity(unchecked) var codingPath: [any CodingKey]
    /// The start of the value being decoded now.
    @exclusivity(unchecked) var position: Int
    /// How many arrays and maps enclose the value being decoded now.
    @exclusivity(unchecked) var depth: Int
    /// One cursor per nesting level modulo 8, held inline so that decoding allocates nothing
    /// for them. Containers more than 8 levels apart may share a slot; they then lose the hint,
    /// not correctness.
    @exclusivity(unchecked) var cursors: (Cursor, Cursor, Cursor, Cursor, Cursor, Cursor, Cursor, Cursor) =
        (Cursor(), Cursor(), Cursor(), Cursor(), Cursor(), Cursor(), Cursor(), Cursor())
    @exclusivity(unchecked) var completedStart = -1
    @exclusivity(unchecked) var completedEnd = -1

    init(bytes: UnsafeRawBufferPointer, userInfo: [CodingUserInfoKey: Any], maximumDepth: Int, position: Int, depth: Int, codingPath: [any CodingKey]) {
        self.bytes = bytes
        self.userInfo = userInfo
        self.maximumDepth = maximumDepth
        self.position = position
        self.depth = depth
        self.codingPath = codingPath
    }

    /// The cursor for containers at `level`.
    @inline(__always)
    func cursor(at level: Int) -> Cursor {
        withUnsafeMutablePointer(to: &cursors) { tuple in
            tuple.withMemoryRebound(to: Cursor.self, capacity: 8) { $0[level & 7] }
        }
    }

    @inline(__always)
    func setCursor(_ cursor: Cursor, at level: Int) {
        withUnsafeMutablePointer(to: &cursors) { tuple in
            tuple.withMemoryRebound(to: Cursor.self, capacity: 8) { $0[level & 7] = cursor }
        }
    }

    @inline(__always)
    func reader(at offset: Int) -> MessagePackReader {
        MessagePackReader(bytes, position: offset, maximumDepth: maximumDepth)
    }

    /// Whether the byte at `offset` is `nil` (`false` past the end).
    @inline(__always)
    func isNil(at offset: Int) -> Bool {
        offset < bytes.count && bytes[offset] == 0xc0
    }

    // MARK: Errors

    /// Turns a reader's error into the `DecodingError` the `Decodable` contract asks for.
    static func decodingError(_ error: WireError, type: Any.Type, bytes: UnsafeRawBufferPointer, path: [any CodingKey]) -> DecodingError {
        if error.code == .typeMismatch {
            if let offset = error.offset, offset < bytes.count, bytes[offset] == 0xc0 {
                return .valueNotFound(type, DecodingError.Context(codingPath: path, debugDescription: "expected \(type) but found nil at byte \(offset)"))
            }
            return .typeMismatch(type, DecodingError.Context(codingPath: path, debugDescription: "\(error.description) while decoding \(type)", underlyingError: error))
        }
        return .dataCorrupted(DecodingError.Context(codingPath: path, debugDescription: "\(error.description) while decoding \(type)", underlyingError: error))
    }

    func decodingError(_ error: WireError, type: Any.Type, path: [any CodingKey]) -> DecodingError {
        Self.decodingError(error, type: type, bytes: bytes, path: path)
    }

    // MARK: Values

    /// Decodes a scalar at `offset`.
    /// - Returns: The value and the offset just past it.
    @inline(__always)
    func decodeScalar<T: MessagePackPrimitive>(_ type: T.Type, at offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> (T, Int) {
        var reader = reader(at: offset)
        do {
            let value = try T.read(from: &reader)
            return (value, reader.position)
        } catch {
            throw decodingError(error, type: T.self, path: path())
        }
    }

    /// Decodes any value at `offset`, `depth` containers deep, its path being the current
    /// path plus `extraPath` and `key`.
    /// - Parameter end: Set to the offset just past the value when that is known without
    ///   skipping it, to -1 otherwise.
    func decodeValue<T: Decodable>(_ type: T.Type, at offset: Int, depth valueDepth: Int, extraPath: [any CodingKey], key: (any CodingKey)?, end: inout Int) throws -> T {
        if let kind = PrimitiveKind(T.self) {
            var reader = reader(at: offset)
            do {
                let value = try reader.readPrimitive(kind, as: T.self, depth: valueDepth)
                end = reader.position
                return value
            } catch {
                var path = codingPath + extraPath
                if let key { path.append(key) }
                throw decodingError(error, type: T.self, path: path)
            }
        }
        return try decodeComposite(type, at: offset, depth: valueDepth, extraPath: extraPath, key: key, end: &end)
    }

    /// Decodes a value through its `init(from:)`.
    /// - Parameter end: Set to the offset just past the value when that is known without
    ///   skipping it, to -1 otherwise.
    func decodeComposite<T: Decodable>(_ type: T.Type, at offset: Int, depth valueDepth: Int, extraPath: [any CodingKey], key: (any CodingKey)?, end: inout Int) throws -> T {
        let savedPosition = position
        let savedDepth = depth
        let pushed = extraPath.count + (key == nil ? 0 : 1)
        if !extraPath.isEmpty { codingPath.append(contentsOf: extraPath) }
        if let key { codingPath.append(key) }
        position = offset
        depth = valueDepth
        defer {
            position = savedPosition
            depth = savedDepth
            if pushed > 0 { codingPath.removeLast(pushed) }
        }
        let value = try T(from: self)
        end = completedStart == offset ? completedEnd : -1
        return value
    }

    /// The offset just past the value at `offset`, skipping (and so checking) it when its end
    /// is not already known.
    func end(ofValueAt offset: Int, depth valueDepth: Int, path: @autoclosure () -> [any CodingKey]) throws -> Int {
        if completedStart == offset { return completedEnd }
        var reader = reader(at: offset)
        do {
            try reader.skipValue(depth: valueDepth)
        } catch {
            throw decodingError(error, type: Any.self, path: path())
        }
        return reader.position
    }

    /// Notes that the value at `start` ends at `end`.
    @inline(__always)
    func complete(_ start: Int, _ end: Int) {
        completedStart = start
        completedEnd = end
    }

    // MARK: Containers

    /// Reads the map header at `offset` for a container at nesting `level`.
    func openMap(at offset: Int, level: Int, path: @autoclosure () -> [any CodingKey]) throws -> Map {
        guard level <= maximumDepth else {
            let error = WireError(.nestingTooDeep, "arrays and maps nest deeper than \(maximumDepth) levels", offset: offset)
            throw decodingError(error, type: [String: Any].self, path: path())
        }
        var reader = reader(at: offset)
        let count: Int
        do {
            count = try reader.readMapHeader()
        } catch {
            throw decodingError(error, type: [String: Any].self, path: path())
        }
        if count == 0 { complete(offset, reader.position) }
        return Map(header: offset, firstEntry: reader.position, count: count, level: level)
    }

    /// Reads the array header at `offset` for a container at nesting `level`.
    /// - Returns: The offset of the first element and the count.
    func openArray(at offset: Int, level: Int, path: @autoclosure () -> [any CodingKey]) throws -> (first: Int, count: Int) {
        guard level <= maximumDepth else {
            let error = WireError(.nestingTooDeep, "arrays and maps nest deeper than \(maximumDepth) levels", offset: offset)
            throw decodingError(error, type: [Any].self, path: path())
        }
        var reader = reader(at: offset)
        let count: Int
        do {
            count = try reader.readArrayHeader()
        } catch {
            throw decodingError(error, type: [Any].self, path: path())
        }
        if count == 0 { complete(offset, reader.position) }
        return (reader.position, count)
    }

    // MARK: Keyed lookup

    /// Finds the value of `key` in `map`.
    /// - Parameter advance: Whether to move the map's cursor past the entry found.
    /// - Returns: The offset of the key's value, or `nil` when the map has no such key.
    func find(_ key: some CodingKey, in map: Map, advance: Bool) throws(WireError) -> Int? {
        var name = key.stringValue
        let found: Result<Int?, WireError> = name.withUTF8 { name in
            do throws(WireError) {
                return .success(try find(utf8: UnsafeRawBufferPointer(name), in: map, advance: advance))
            } catch {
                return .failure(error)
            }
        }
        return try found.get()
    }

    private func find(utf8 name: UnsafeRawBufferPointer, in map: Map, advance: Bool) throws(WireError) -> Int? {
        let level = map.level
        var cursor = cursor(at: level)
        if cursor.header != map.header {
            cursor = Cursor(header: map.header, index: 0, offset: map.firstEntry)
        }
        // The entry at the cursor first: the common case of keys asked for in order.
        if cursor.index < map.count {
            if cursor.offset < 0 {
                let start = ~cursor.offset
                if completedStart == start {
                    cursor.offset = completedEnd
                } else {
                    var skipper = reader(at: start)
                    try skipper.skipValue(depth: level)
                    cursor.offset = skipper.position
                }
            }
            var reader = reader(at: cursor.offset)
            if try matchKey(&reader, name, level: level, validate: false) {
                if advance {
                    cursor.index += 1
                    cursor.offset = ~reader.position
                }
                setCursor(cursor, at: level)
                return reader.position
            }
            setCursor(cursor, at: level)
        }
        // Otherwise scan the whole map.
        var reader = reader(at: map.firstEntry)
        for index in 0..<map.count {
            if try matchKey(&reader, name, level: level, validate: true) {
                if advance {
                    setCursor(Cursor(header: map.header, index: index + 1, offset: ~reader.position), at: level)
                }
                return reader.position
            }
            try reader.skipValue(depth: level)
        }
        return nil
    }

    /// Reads the key at the reader's position and tells whether it is `name`.
    private func matchKey(_ reader: inout MessagePackReader, _ name: UnsafeRawBufferPointer, level: Int, validate: Bool) throws(WireError) -> Bool {
        let p = reader.position
        guard p < bytes.count else { throw reader.truncated(at: p, "map key", needs: 1) }
        let marker = bytes[p]
        if marker & 0xe0 == 0xa0 || (0xd9...0xdb).contains(marker) {
            let (start, length) = try reader.stringHeader(at: p)
            reader.position = start + length
            if length == name.count {
                var equal = true
                var index = 0
                while index < length {
                    if bytes[start + index] != name[index] { equal = false; break }
                    index += 1
                }
                if equal { return true }
            }
            if validate, !UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])) {
                reader.position = p
                throw WireError(.invalidUTF8, "map key of \(length) bytes is not valid UTF-8", offset: p)
            }
            return false
        }
        if MessagePackType(firstByte: marker) == .integer {
            let (bits, negative, next) = try reader.integerBits()
            reader.position = next
            let decimal = negative ? String(Int64(bitPattern: bits)) : String(bits)
            var utf8 = decimal
            return utf8.withUTF8 { $0.elementsEqual(name) }
        }
        try reader.skipValue(depth: level)
        return false
    }

    /// Notes that the entry value at `start` in `map` ends at `end` (-1: not known).
    @inline(__always)
    func noteEnd(of start: Int, in map: Map, end: Int) {
        guard end >= 0 else { return }
        var cursor = cursor(at: map.level)
        if cursor.header == map.header, cursor.offset == ~start {
            cursor.offset = end
            setCursor(cursor, at: map.level)
            if cursor.index == map.count { complete(map.header, end) }
        }
    }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let map = try openMap(at: position, level: depth + 1, path: codingPath)
        return KeyedDecodingContainer(MessagePackKeyedDecodingContainer<Key>(decoder: self, map: map, pathDepth: codingPath.count, extraPath: []))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (first, count) = try openArray(at: position, level: depth + 1, path: codingPath)
        return MessagePackUnkeyedDecodingContainer(decoder: self, header: position, first: first, count: count, level: depth + 1, pathDepth: codingPath.count, extraPath: [])
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        self
    }

    // MARK: SingleValueDecodingContainer

    func decodeNil() -> Bool {
        guard position < bytes.count, bytes[position] == 0xc0 else { return false }
        complete(position, position + 1)
        return true
    }

    @inline(__always)
    private func single<T: MessagePackPrimitive>(_ type: T.Type) throws -> T {
        let (value, end) = try decodeScalar(T.self, at: position, path: codingPath)
        complete(position, end)
        return value
    }

    func decode(_ type: Bool.Type) throws -> Bool { try single(type) }
    func decode(_ type: String.Type) throws -> String { try single(type) }
    func decode(_ type: Double.Type) throws -> Double { try single(type) }
    func decode(_ type: Float.Type) throws -> Float { try single(type) }
    func decode(_ type: Int.Type) throws -> Int { try single(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try single(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try single(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try single(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try single(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try single(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try single(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try single(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try single(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try single(type) }
    @available(macOS 15.0, *)
    func decode(_ type: Int128.Type) throws -> Int128 { try single(type) }
    @available(macOS 15.0, *)
    func decode(_ type: UInt128.Type) throws -> UInt128 { try single(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let start = position
        var end = -1
        let value = try decodeValue(T.self, at: start, depth: depth, extraPath: [], key: nil, end: &end)
        if end >= 0 { complete(start, end) }
        return value
    }
}
