/// A keyed container over a MessagePack map in the decoder's buffer.
struct MessagePackKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: MessagePackDecoderImpl
    let map: MessagePackDecoderImpl.Map
    /// The length of the decoder's coding path when the container was made.
    let pathDepth: Int
    /// Keys of the container's path beyond the decoder's (for nested containers).
    let extraPath: [any CodingKey]

    var codingPath: [any CodingKey] {
        var path = Array(decoder.codingPath.prefix(pathDepth))
        path.append(contentsOf: extraPath)
        return path
    }

    private func path(_ key: Key) -> [any CodingKey] {
        codingPath + [key]
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        var reader = decoder.reader(at: map.firstEntry)
        do throws(WireError) {
            for _ in 0..<map.count {
                let type = try reader.peekType()
                if type == .string {
                    if let key = Key(stringValue: try reader.readString()) { keys.append(key) }
                } else if type == .integer {
                    let (bits, negative, next) = try reader.integerBits()
                    reader.position = next
                    let decimal = negative ? String(Int64(bitPattern: bits)) : String(bits)
                    if let key = Key(stringValue: decimal) { keys.append(key) }
                } else {
                    try reader.skipValue(depth: map.level)
                }
                try reader.skipValue(depth: map.level)
            }
        } catch {
            // Malformed maps surface when a value is decoded; allKeys cannot throw.
        }
        return keys
    }

    func contains(_ key: Key) -> Bool {
        (try? decoder.find(key, in: map, advance: false)) != nil
    }

    /// The offset of the value of `key`, moving the cursor past it; `nil` when absent.
    @inline(__always)
    private func lookup(_ key: Key, advance: Bool = true) throws -> Int? {
        do {
            return try decoder.find(key, in: map, advance: advance)
        } catch {
            throw decoder.decodingError(error, type: Any.self, path: path(key))
        }
    }

    /// The offset of the value of `key`, moving the cursor past it; throws when absent.
    @inline(__always)
    private func require(_ key: Key) throws -> Int {
        guard let offset = try lookup(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\" in the map at byte \(map.header)"))
        }
        return offset
    }

    @inline(__always)
    private func scalar<T: MessagePackPrimitive>(_ type: T.Type, forKey key: Key) throws -> T {
        let offset = try require(key)
        let (value, end) = try decoder.decodeScalar(T.self, at: offset, path: path(key))
        decoder.noteEnd(of: offset, in: map, end: end)
        return value
    }

    @inline(__always)
    private func scalarIfPresent<T: MessagePackPrimitive>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let offset = try lookup(key) else { return nil }
        if decoder.isNil(at: offset) {
            decoder.noteEnd(of: offset, in: map, end: offset + 1)
            return nil
        }
        let (value, end) = try decoder.decodeScalar(T.self, at: offset, path: path(key))
        decoder.noteEnd(of: offset, in: map, end: end)
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let offset = try lookup(key, advance: false) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\" in the map at byte \(map.header)"))
        }
        return decoder.isNil(at: offset)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(type, forKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(type, forKey: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(type, forKey: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try scalar(type, forKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try scalar(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try scalar(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try scalar(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try scalar(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try scalar(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try scalar(type, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try scalar(type, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(type, forKey: key) }
    @available(macOS 15.0, *)
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try scalar(type, forKey: key) }
    @available(macOS 15.0, *)
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try scalar(type, forKey: key) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try scalarIfPresent(type, forKey: key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try scalarIfPresent(type, forKey: key) }
    @available(macOS 15.0, *)
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? { try scalarIfPresent(type, forKey: key) }
    @available(macOS 15.0, *)
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? { try scalarIfPresent(type, forKey: key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let offset = try require(key)
        var end = -1
        let value = try decoder.decodeValue(T.self, at: offset, depth: map.level, extraPath: extraPath, key: key, end: &end)
        decoder.noteEnd(of: offset, in: map, end: end)
        return value
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let offset = try lookup(key) else { return nil }
        if decoder.isNil(at: offset) {
            decoder.noteEnd(of: offset, in: map, end: offset + 1)
            return nil
        }
        var end = -1
        let value = try decoder.decodeValue(T.self, at: offset, depth: map.level, extraPath: extraPath, key: key, end: &end)
        decoder.noteEnd(of: offset, in: map, end: end)
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let offset = try require(key)
        let nested = try decoder.openMap(at: offset, level: map.level + 1, path: path(key))
        return KeyedDecodingContainer(MessagePackKeyedDecodingContainer<NestedKey>(decoder: decoder, map: nested, pathDepth: pathDepth, extraPath: extraPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let offset = try require(key)
        let (first, count) = try decoder.openArray(at: offset, level: map.level + 1, path: path(key))
        return MessagePackUnkeyedDecodingContainer(decoder: decoder, header: offset, first: first, count: count, level: map.level + 1, pathDepth: pathDepth, extraPath: extraPath + [key])
    }

    func superDecoder() throws -> any Decoder {
        try makeSuperDecoder(key: MessagePackCodingKey.super)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try makeSuperDecoder(key: key)
    }

    private func makeSuperDecoder(key: some CodingKey) throws -> any Decoder {
        let offset: Int?
        do {
            offset = try decoder.find(key, in: map, advance: true)
        } catch {
            throw decoder.decodingError(error, type: Any.self, path: codingPath + [key])
        }
        guard let offset else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\" in the map at byte \(map.header)"))
        }
        return MessagePackDecoderImpl(bytes: decoder.bytes, userInfo: decoder.userInfo, maximumDepth: decoder.maximumDepth, position: offset, depth: map.level, codingPath: codingPath + [key])
    }
}
