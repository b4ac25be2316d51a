extension MessagePackValue {
    /// Reads exactly one value from `bytes`.
    /// - Parameter bytes: The encoded value; nothing may follow it.
    /// - Throws: A ``WireError``: anything ``MessagePackReader/readValue(depth:)`` throws, or
    ///   `trailingBytes` when bytes follow the value.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        self = try Self.decode(bytes)
    }

    private static func decode(_ bytes: [UInt8]) throws(WireError) -> MessagePackValue {
        let result: Result<MessagePackValue, WireError> = bytes.withUnsafeBytes { buffer in
            var reader = MessagePackReader(buffer)
            do throws(WireError) {
                let value = try reader.readValue()
                guard reader.isAtEnd else {
                    throw WireError(.trailingBytes, "\(reader.remainingCount) bytes follow the value", offset: reader.position)
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The value's MessagePack encoding.
    public var encoded: [UInt8] {
        var writer = MessagePackWriter(capacity: 32)
        writer.write(self)
        return writer.bytes
    }
}

extension MessagePackReader {
    /// Reads one complete value (with everything nested in it) into memory.
    /// - Parameter depth: How many arrays and maps already enclose the value; the value's own
    ///   arrays and maps count from `depth + 1` against ``maximumDepth``.
    /// - Returns: The value read; integers that fit `Int64` are `.int`, larger ones `.uint`.
    /// - Throws: `truncated`, `malformed`, `invalidUTF8` or `nestingTooDeep`.
    public mutating func readValue(depth: Int = 0) throws(WireError) -> MessagePackValue {
        let type = try peekType()
        switch type {
        case .nil:
            position += 1
            return .nil
        case .bool:
            return .bool(try readBool())
        case .integer:
            let (bits, negative, next) = try integerBits()
            position = next
            if negative || bits <= UInt64(Int64.max) {
                return .int(Int64(bitPattern: bits))
            }
            return .uint(bits)
        case .float:
            if bytes[position] == 0xca {
                return .float(try readFloat())
            }
            return .double(try readDouble())
        case .string:
            return .string(try readString())
        case .binary:
            return .binary(try readBinary())
        case .extension:
            let (tag, data) = try readExtension()
            return .extension(type: tag, data: Array(data))
        case .array:
            guard depth < maximumDepth else { throw tooDeep(at: position) }
            let start = position
            let count = try readArrayHeader()
            var elements: [MessagePackValue] = []
            elements.reserveCapacity(count)
            do throws(WireError) {
                for _ in 0..<count { elements.append(try readValue(depth: depth + 1)) }
            } catch {
                position = start
                throw error
            }
            return .array(elements)
        case .map:
            guard depth < maximumDepth else { throw tooDeep(at: position) }
            let start = position
            let count = try readMapHeader()
            var pairs: [(key: MessagePackValue, value: MessagePackValue)] = []
            pairs.reserveCapacity(count)
            do throws(WireError) {
                for _ in 0..<count {
                    let key = try readValue(depth: depth + 1)
                    let value = try readValue(depth: depth + 1)
                    pairs.append((key, value))
                }
            } catch {
                position = start
                throw error
            }
            return .map(pairs)
        }
    }
}

extension MessagePackWriter {
    /// Writes a value and everything nested in it.
    /// - Parameter value: The value to write.
    public mutating func write(_ value: MessagePackValue) {
        switch value {
        case .nil: writeNil()
        case .bool(let value): writeBool(value)
        case .int(let value): writeInt(value)
        case .uint(let value): writeUInt(value)
        case .float(let value): writeFloat(value)
        case .double(let value): writeDouble(value)
        case .string(let value): writeString(value)
        case .binary(let value): writeBinary(value)
        case .array(let elements):
            writeArrayHeader(elements.count)
            for element in elements { write(element) }
        case .map(let pairs):
            writeMapHeader(pairs.count)
            for pair in pairs {
                write(pair.key)
                write(pair.value)
            }
        case .extension(let type, let data):
            writeExtension(type: type, data: data)
        }
    }
}
