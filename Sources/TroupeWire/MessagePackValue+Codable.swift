extension MessagePackValue: Codable {
    /// Encodes the value. Through ``MessagePackEncoder`` it is written exactly as it is; through
    /// other encoders, maps need `str` keys and extension values are not supported.
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError.invalidValue` for what another encoder cannot represent.
    public func encode(to encoder: any Encoder) throws {
        if let encoder = encoder as? MessagePackEncoderImpl {
            var container = encoder.singleValueContainer()
            try container.encode(self)
            return
        }
        switch self {
        case .nil:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .uint(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .float(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .binary(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        case .map(let pairs):
            var container = encoder.container(keyedBy: MessagePackCodingKey.self)
            for pair in pairs {
                guard case .string(let key) = pair.key else {
                    throw EncodingError.invalidValue(self, EncodingError.Context(codingPath: encoder.codingPath, debugDescription: "only maps with string keys can be encoded by \(Swift.type(of: encoder))"))
                }
                try container.encode(pair.value, forKey: MessagePackCodingKey(stringValue: key))
            }
        case .extension:
            throw EncodingError.invalidValue(self, EncodingError.Context(codingPath: encoder.codingPath, debugDescription: "MessagePack extension values can only be encoded by MessagePackEncoder"))
        }
    }

    /// Decodes a value. Through ``MessagePackDecoder`` it is read exactly as it is; through other
    /// decoders, the first of nil, bool, integer, floating point, string, array or map that the
    /// decoder accepts.
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when the input is not a value.
    public init(from decoder: any Decoder) throws {
        if let decoder = decoder as? MessagePackDecoderImpl {
            self = try decoder.decode(MessagePackValue.self)
            return
        }
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() { self = .nil; return }
            if let value = try? container.decode(Bool.self) { self = .bool(value); return }
            if let value = try? container.decode(Int64.self) { self = .int(value); return }
            if let value = try? container.decode(UInt64.self) { self = .uint(value); return }
            if let value = try? container.decode(Double.self) { self = .double(value); return }
            if let value = try? container.decode(String.self) { self = .string(value); return }
        }
        if var container = try? decoder.unkeyedContainer() {
            var values: [MessagePackValue] = []
            while !container.isAtEnd { values.append(try container.decode(MessagePackValue.self)) }
            self = .array(values)
            return
        }
        let container = try decoder.container(keyedBy: MessagePackCodingKey.self)
        var pairs: [(key: MessagePackValue, value: MessagePackValue)] = []
        for key in container.allKeys {
            pairs.append((.string(key.stringValue), try container.decode(MessagePackValue.self, forKey: key)))
        }
        self = .map(pairs)
    }
}
