/// Decodes a body frame into its envelopes, checking everything Protocol 1 requires.
///
/// A body is accepted whole or rejected whole: ``decode(body:)-([UInt8])`` returns every envelope, or
/// throws a ``WireError`` for the first problem, with its byte offset. Problems are looked for
/// in reading order — for each envelope, its array header, then its kind (`unknownKind`), then
/// its element count (`malformed`), then each element in turn — so every implementation
/// reports the same code for the same bytes. Every length is checked against the bytes that
/// remain before anything is allocated, and argument values are checked (well-formed, valid
/// UTF-8, nested no deeper than ``maximumDepth``) but not decoded.
public struct EnvelopeDecoder: Sendable {
    /// The deepest nesting of arrays and maps accepted, counting the envelope's own array as
    /// level 1 (512 unless changed).
    public var maximumDepth: Int
    /// The largest body accepted, in bytes; a larger one throws `tooLarge`.
    public var maximumBodySize: Int

    /// Creates a decoder.
    /// - Parameters:
    ///   - maximumDepth: The deepest nesting of arrays and maps accepted, the envelope's own
    ///     array being level 1.
    ///   - maximumBodySize: The largest body accepted, in bytes.
    public init(maximumDepth: Int = MessagePackReader.defaultMaximumDepth, maximumBodySize: Int = .max) {
        self.maximumDepth = maximumDepth
        self.maximumBodySize = maximumBodySize
    }

    /// Decodes every envelope of a body.
    /// - Parameter body: The body frame.
    /// - Returns: The envelopes, in order; at least one.
    /// - Throws: A ``WireError``: `truncated` (an empty body included), `malformed`,
    ///   `unknownKind`, `invalidUTF8`, `nestingTooDeep`, `trailingBytes` or `tooLarge`.
    public func decode(body: UnsafeRawBufferPointer) throws(WireError) -> [Envelope] {
        guard body.count <= maximumBodySize else {
            throw WireError(.tooLarge, "body of \(body.count) bytes exceeds the limit of \(maximumBodySize)", offset: 0)
        }
        guard !body.isEmpty else {
            throw WireError(.truncated, "empty body; a body holds at least one envelope", offset: 0)
        }
        var reader = MessagePackReader(body, maximumDepth: maximumDepth)
        var envelopes: [Envelope] = []
        while !reader.isAtEnd {
            envelopes.append(try decodeEnvelope(&reader, isFirst: envelopes.isEmpty))
        }
        return envelopes
    }

    /// Decodes every envelope of a body.
    /// - Parameter body: The body frame.
    /// - Returns: The envelopes, in order; at least one.
    /// - Throws: A ``WireError``, as for a buffer.
    public func decode(body: [UInt8]) throws(WireError) -> [Envelope] {
        let result: Result<[Envelope], WireError> = body.withUnsafeBytes { buffer in
            do throws(WireError) {
                return .success(try decode(body: buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: One envelope

    private func decodeEnvelope(_ reader: inout MessagePackReader, isFirst: Bool) throws(WireError) -> Envelope {
        let start = reader.position
        let marker = reader.bytes[start]
        guard MessagePackType(firstByte: marker) == .array else {
            if isFirst {
                throw WireError(.malformed, "an envelope is an array, found \(describe(marker))", offset: start)
            }
            throw WireError(.trailingBytes, "\(reader.remainingCount) bytes after the last envelope do not start an envelope (found \(describe(marker)))", offset: start)
        }
        let elementCount = try reader.readArrayHeader()
        guard elementCount >= 1 else {
            throw WireError(.malformed, "empty envelope: the first element must be the kind", offset: start)
        }
        let kindOffset = reader.position
        let kindNumber: UInt64
        do throws(WireError) {
            kindNumber = try reader.readUInt()
        } catch {
            throw field(error, "kind", of: nil)
        }
        guard kindNumber <= UInt64(UInt8.max), let kind = Envelope.Kind(rawValue: UInt8(kindNumber)) else {
            throw WireError(.unknownKind, "envelope kind \(kindNumber) is not defined by protocol version \(Signature.version)", offset: kindOffset)
        }
        guard elementCount >= kind.arity, elementCount <= kind.maximumArity else {
            let expected = kind.maximumArity == kind.arity ? "\(kind.arity)" : "\(kind.arity) or \(kind.maximumArity)"
            throw WireError(.malformed, "\(kind) has \(expected) elements, this one has \(elementCount)", offset: start)
        }
        switch kind {
        case .call:
            let callID = try callIdentifier(&reader, of: kind)
            let actor = try unsigned(&reader, "actor", of: kind)
            let target = try string(&reader, "target", of: kind)
            let generics = try strings(&reader, "generics", of: kind)
            let arguments = try values(&reader, "args", of: kind)
            let trace = elementCount > kind.arity ? try traceContext(&reader, of: kind) : nil
            return .call(Envelope.Call(callID: callID, actor: actor, target: target, genericSubstitutions: generics,
                                       arguments: arguments, trace: trace))
        case .return:
            let callID = try callIdentifier(&reader, of: kind)
            let value = try self.value(&reader, "value", of: kind, depth: 1)
            return .return(Envelope.Return(callID: callID, value: value))
        case .throw:
            let callID = try callIdentifier(&reader, of: kind)
            let code = try string(&reader, "code", of: kind)
            let type = try string(&reader, "type", of: kind)
            let message = try string(&reader, "message", of: kind)
            let stack = try strings(&reader, "stack", of: kind)
            let detail: [UInt8]?
            if reader.readNilIfPresent() {
                detail = nil
            } else {
                do throws(WireError) {
                    detail = try reader.readBinary()
                } catch {
                    throw field(error, "detail", of: kind)
                }
            }
            return .throw(Envelope.Throw(callID: callID, code: Envelope.Throw.Code(rawValue: code), type: type, message: message, stack: stack, detail: detail))
        case .ready:
            let node = try string(&reader, "node", of: kind)
            let pid: Int64
            do throws(WireError) {
                pid = try reader.readInt()
            } catch {
                throw field(error, "pid", of: kind)
            }
            let actorType = try string(&reader, "actor_type", of: kind)
            let actor = try unsigned(&reader, "actor", of: kind)
            return .ready(Envelope.Ready(node: node, pid: pid, actorType: actorType, actor: actor))
        case .heartbeat:
            return .heartbeat
        case .cancel:
            return .cancel(callID: try callIdentifier(&reader, of: kind))
        case .disconnect:
            return .disconnect(reason: try string(&reader, "reason", of: kind))
        case .goodbye:
            return .goodbye
        case .reject:
            let code = try string(&reader, "code", of: kind)
            let message = try string(&reader, "message", of: kind)
            return .reject(Envelope.Reject(code: code, message: message))
        case .withdraw:
            let count: Int
            do throws(WireError) {
                count = try reader.readArrayHeader()
            } catch {
                throw field(error, "call_ids", of: kind)
            }
            var callIDs: [UInt64] = []
            callIDs.reserveCapacity(min(count, reader.remainingCount))
            for _ in 0..<count { callIDs.append(try callIdentifier(&reader, of: kind)) }
            return .withdraw(callIDs: callIDs)
        case .state:
            let callID = try callIdentifier(&reader, of: kind)
            let container = try string(&reader, "container", of: kind)
            let operation = try string(&reader, "op", of: kind)
            let arguments = try values(&reader, "args", of: kind)
            return .state(Envelope.StateOperation(callID: callID, container: container, operation: operation, arguments: arguments))
        }
    }

    // MARK: Fields

    /// Restates a reader's error about a field: a wrong type or an out-of-range integer makes
    /// the envelope `malformed`; truncation, bad UTF-8 and deep nesting keep their codes.
    private func field(_ error: WireError, _ name: String, of kind: Envelope.Kind?) -> WireError {
        let owner = kind.map { "\($0) " } ?? "envelope "
        switch error.code {
        case .typeMismatch, .integerOverflow:
            return WireError(.malformed, "\(owner)\(name): \(error.message)", offset: error.offset)
        default:
            return WireError(error.code, "\(owner)\(name): \(error.message)", offset: error.offset)
        }
    }

    private func callIdentifier(_ reader: inout MessagePackReader, of kind: Envelope.Kind) throws(WireError) -> UInt64 {
        let offset = reader.position
        let callID = try unsigned(&reader, "call_id", of: kind)
        guard callID != 0 else {
            throw WireError(.malformed, "\(kind) call_id: 0 is reserved", offset: offset)
        }
        return callID
    }

    private func unsigned(_ reader: inout MessagePackReader, _ name: String, of kind: Envelope.Kind) throws(WireError) -> UInt64 {
        do throws(WireError) {
            return try reader.readUInt()
        } catch {
            throw field(error, name, of: kind)
        }
    }

    private func string(_ reader: inout MessagePackReader, _ name: String, of kind: Envelope.Kind) throws(WireError) -> String {
        do throws(WireError) {
            return try reader.readString()
        } catch {
            throw field(error, name, of: kind)
        }
    }

    private func strings(_ reader: inout MessagePackReader, _ name: String, of kind: Envelope.Kind) throws(WireError) -> [String] {
        do throws(WireError) {
            let count = try reader.readArrayHeader()
            var strings: [String] = []
            strings.reserveCapacity(count)
            for _ in 0..<count { strings.append(try reader.readString()) }
            return strings
        } catch {
            throw field(error, name, of: kind)
        }
    }

    /// Reads a trace context: a map from str to str. Only its shape is checked here; what the
    /// texts mean is the receiver's tracer's business (an invalid `traceparent` is ignored).
    private func traceContext(_ reader: inout MessagePackReader, of kind: Envelope.Kind) throws(WireError) -> Envelope.TraceContext {
        do throws(WireError) {
            let count = try reader.readMapHeader()
            var fields: [Envelope.TraceContext.Field] = []
            fields.reserveCapacity(count)
            for _ in 0..<count {
                let name = try reader.readString()
                fields.append(Envelope.TraceContext.Field(name: name, value: try reader.readString()))
            }
            return Envelope.TraceContext(fields: fields)
        } catch {
            throw field(error, "trace", of: kind)
        }
    }

    /// Reads an array of values, each kept as its encoded bytes.
    private func values(_ reader: inout MessagePackReader, _ name: String, of kind: Envelope.Kind) throws(WireError) -> [[UInt8]] {
        do throws(WireError) {
            let count = try reader.readArrayHeader()
            var values: [[UInt8]] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                let range = try reader.skipValue(depth: 2)
                values.append(Array(UnsafeRawBufferPointer(rebasing: reader.bytes[range])))
            }
            return values
        } catch {
            throw field(error, name, of: kind)
        }
    }

    /// Reads one value, kept as its encoded bytes.
    private func value(_ reader: inout MessagePackReader, _ name: String, of kind: Envelope.Kind, depth: Int) throws(WireError) -> [UInt8] {
        do throws(WireError) {
            let range = try reader.skipValue(depth: depth)
            return Array(UnsafeRawBufferPointer(rebasing: reader.bytes[range]))
        } catch {
            throw field(error, name, of: kind)
        }
    }

    private func describe(_ marker: UInt8) -> String {
        let digits = String(marker, radix: 16)
        let hex = "0x" + (marker < 16 ? "0" + digits : digits)
        if let type = MessagePackType(firstByte: marker) { return "\(type) (\(hex))" }
        return "the unused byte \(hex)"
    }
}
