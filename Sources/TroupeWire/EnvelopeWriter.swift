/// Builds a body frame: one or more envelopes back to back, ready to send after
/// ``Signature/bytes``.
///
/// Batching is the normal case: append every envelope that is ready, send the body, and start
/// again with ``removeAll(keepingCapacity:)``. The `append…` methods that take `Encodable`
/// values encode them straight into the body, with no intermediate arrays; when encoding
/// throws, the body is left as it was.
///
/// ```swift
/// var body = EnvelopeWriter()
/// try body.appendCall(callID: 7, actor: 1, target: target, encoding: "hello", 3, with: encoder)
/// body.append(.heartbeat)
/// socket.send([Signature.bytes, body.bytes])
/// ```
public struct EnvelopeWriter: Sendable {
    /// The body written so far.
    public private(set) var writer: MessagePackWriter
    /// The number of envelopes in the body.
    public private(set) var count = 0

    /// Creates an empty body.
    /// - Parameter capacity: Bytes to reserve up front.
    public init(capacity: Int = 256) {
        writer = MessagePackWriter(capacity: capacity)
    }

    /// The body's bytes.
    @inlinable
    public var bytes: [UInt8] { writer.bytes }

    /// Whether the body holds no envelope yet (an empty body must not be sent).
    @inlinable
    public var isEmpty: Bool { count == 0 }

    /// Empties the body.
    /// - Parameter keepingCapacity: Whether to keep the allocated storage for the next body.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        writer.bytes.removeAll(keepingCapacity: keepingCapacity)
        count = 0
    }

    /// Returns the body's bytes and empties the writer.
    /// - Returns: The body built so far.
    public mutating func takeBytes() -> [UInt8] {
        let bytes = writer.bytes
        writer = MessagePackWriter()
        count = 0
        return bytes
    }

    // MARK: Any envelope

    /// Appends an envelope.
    /// - Parameter envelope: The envelope to append.
    public mutating func append(_ envelope: Envelope) {
        switch envelope {
        case .call(let call):
            appendCall(callID: call.callID, actor: call.actor, target: call.target, genericSubstitutions: call.genericSubstitutions,
                       arguments: call.arguments, trace: call.trace)
        case .return(let result):
            appendReturn(callID: result.callID, value: result.value)
        case .throw(let failure):
            appendThrow(failure)
        case .ready(let ready):
            begin(.ready)
            writer.writeString(ready.node)
            writer.writeInt(ready.pid)
            writer.writeString(ready.actorType)
            writer.writeUInt(ready.actor)
        case .heartbeat:
            begin(.heartbeat)
        case .cancel(let callID):
            begin(.cancel)
            writer.writeUInt(callID)
        case .disconnect(let reason):
            begin(.disconnect)
            writer.writeString(reason)
        case .goodbye:
            begin(.goodbye)
        case .reject(let reject):
            begin(.reject)
            writer.writeString(reject.code)
            writer.writeString(reject.message)
        case .withdraw(let callIDs):
            begin(.withdraw)
            writer.writeArrayHeader(callIDs.count)
            for callID in callIDs { writer.writeUInt(callID) }
        case .state(let operation):
            appendState(callID: operation.callID, container: operation.container, operation: operation.operation, arguments: operation.arguments)
        }
    }

    /// Appends several envelopes.
    /// - Parameter envelopes: The envelopes to append, in order.
    public mutating func append(contentsOf envelopes: some Sequence<Envelope>) {
        for envelope in envelopes { append(envelope) }
    }

    // MARK: CALL

    /// Appends a `CALL` whose arguments are already encoded.
    /// - Parameters:
    ///   - callID: The caller's identifier for the call; must not be 0.
    ///   - actor: The receiving actor's identifier.
    ///   - target: The distributed function's identifier.
    ///   - genericSubstitutions: The mangled names of the generic substitutions.
    ///   - arguments: The arguments, one complete MessagePack value each.
    ///   - trace: The caller's trace context, written as the seventh element; nil for none
    ///     (six elements).
    public mutating func appendCall(callID: UInt64, actor: UInt64, target: String, genericSubstitutions: [String] = [], arguments: [[UInt8]],
                                    trace: Envelope.TraceContext? = nil) {
        beginCall(callID: callID, actor: actor, target: target, genericSubstitutions: genericSubstitutions, traced: trace != nil)
        writer.writeArrayHeader(arguments.count)
        for argument in arguments { writer.writeRaw(argument) }
        if let trace { write(trace) }
    }

    /// Appends a `CALL` whose arguments are already encoded back to back in one buffer — for
    /// example by ``MessagePackEncoder/encode(_:into:)`` into one ``MessagePackWriter``, as a
    /// distributed actor system's invocation encoder records them.
    /// - Parameters:
    ///   - callID: The caller's identifier for the call; must not be 0.
    ///   - actor: The receiving actor's identifier.
    ///   - target: The distributed function's identifier.
    ///   - genericSubstitutions: The mangled names of the generic substitutions.
    ///   - argumentCount: The number of values in `encodedArguments`.
    ///   - encodedArguments: `argumentCount` complete MessagePack values, back to back.
    ///   - trace: The caller's trace context, or nil for none.
    public mutating func appendCall(callID: UInt64, actor: UInt64, target: String, genericSubstitutions: [String] = [], argumentCount: Int, encodedArguments: [UInt8],
                                    trace: Envelope.TraceContext? = nil) {
        beginCall(callID: callID, actor: actor, target: target, genericSubstitutions: genericSubstitutions, traced: trace != nil)
        writer.writeArrayHeader(argumentCount)
        writer.writeRaw(encodedArguments)
        if let trace { write(trace) }
    }

    /// Appends a `CALL`, encoding each argument straight into the body.
    /// - Parameters:
    ///   - callID: The caller's identifier for the call; must not be 0.
    ///   - actor: The receiving actor's identifier.
    ///   - target: The distributed function's identifier.
    ///   - genericSubstitutions: The mangled names of the generic substitutions.
    ///   - arguments: The arguments, in order.
    ///   - encoder: The encoder for the arguments.
    ///   - trace: The caller's trace context, or nil for none.
    /// - Throws: `EncodingError` from an argument; the body is then left as it was.
    public mutating func appendCall<each Argument: Encodable>(
        callID: UInt64, actor: UInt64, target: String, genericSubstitutions: [String] = [],
        encoding arguments: repeat each Argument, with encoder: MessagePackEncoder, trace: Envelope.TraceContext? = nil
    ) throws {
        let start = writer.count
        beginCall(callID: callID, actor: actor, target: target, genericSubstitutions: genericSubstitutions, traced: trace != nil)
        var argumentCount = 0
        for _ in repeat each arguments { argumentCount += 1 }
        writer.writeArrayHeader(argumentCount)
        do {
            for argument in repeat each arguments {
                try encoder.encode(argument, into: &writer)
            }
        } catch {
            writer.bytes.removeSubrange(start...)
            count -= 1
            throw error
        }
        if let trace { write(trace) }
    }

    private mutating func beginCall(callID: UInt64, actor: UInt64, target: String, genericSubstitutions: [String], traced: Bool) {
        assert(callID != 0, "call id 0 is reserved")
        begin(.call, elements: traced ? Envelope.Kind.call.maximumArity : Envelope.Kind.call.arity)
        writer.writeUInt(callID)
        writer.writeUInt(actor)
        writer.writeString(target)
        writer.writeArrayHeader(genericSubstitutions.count)
        for name in genericSubstitutions { writer.writeString(name) }
    }

    // MARK: RETURN and THROW

    /// Appends a `RETURN` whose value is already encoded.
    /// - Parameters:
    ///   - callID: The identifier of the call this answers.
    ///   - value: The result, one complete MessagePack value.
    public mutating func appendReturn(callID: UInt64, value: [UInt8]) {
        begin(.return)
        writer.writeUInt(callID)
        writer.writeRaw(value)
    }

    /// Appends a `RETURN` for a call that returns `Void` (its value is `nil`).
    /// - Parameter callID: The identifier of the call this answers.
    public mutating func appendVoidReturn(callID: UInt64) {
        begin(.return)
        writer.writeUInt(callID)
        writer.writeNil()
    }

    /// Appends a `RETURN`, encoding the value straight into the body.
    /// - Parameters:
    ///   - callID: The identifier of the call this answers.
    ///   - value: The result.
    ///   - encoder: The encoder for the result.
    /// - Throws: `EncodingError` from the value; the body is then left as it was.
    public mutating func appendReturn<Value: Encodable>(callID: UInt64, encoding value: Value, with encoder: MessagePackEncoder) throws {
        let start = writer.count
        begin(.return)
        writer.writeUInt(callID)
        do {
            try encoder.encode(value, into: &writer)
        } catch {
            writer.bytes.removeSubrange(start...)
            count -= 1
            throw error
        }
    }

    /// Appends a `THROW`.
    /// - Parameter failure: The failure to report.
    public mutating func appendThrow(_ failure: Envelope.Throw) {
        begin(.throw)
        writer.writeUInt(failure.callID)
        writer.writeString(failure.code.rawValue)
        writer.writeString(failure.type)
        writer.writeString(failure.message)
        writer.writeArrayHeader(failure.stack.count)
        for frame in failure.stack { writer.writeString(frame) }
        if let detail = failure.detail {
            writer.writeBinary(detail)
        } else {
            writer.writeNil()
        }
    }

    // MARK: STATE

    /// Appends a `STATE` operation whose arguments are already encoded.
    /// - Parameters:
    ///   - callID: The caller's identifier for the operation; must not be 0.
    ///   - container: The name of the container operated on.
    ///   - operation: The operation's name.
    ///   - arguments: The arguments, one complete MessagePack value each.
    public mutating func appendState(callID: UInt64, container: String, operation: String, arguments: [[UInt8]]) {
        beginState(callID: callID, container: container, operation: operation)
        writer.writeArrayHeader(arguments.count)
        for argument in arguments { writer.writeRaw(argument) }
    }

    /// Appends a `STATE` operation, encoding each argument straight into the body.
    /// - Parameters:
    ///   - callID: The caller's identifier for the operation; must not be 0.
    ///   - container: The name of the container operated on.
    ///   - operation: The operation's name.
    ///   - arguments: The arguments, in order.
    ///   - encoder: The encoder for the arguments.
    /// - Throws: `EncodingError` from an argument; the body is then left as it was.
    public mutating func appendState<each Argument: Encodable>(
        callID: UInt64, container: String, operation: String,
        encoding arguments: repeat each Argument, with encoder: MessagePackEncoder
    ) throws {
        let start = writer.count
        beginState(callID: callID, container: container, operation: operation)
        var argumentCount = 0
        for _ in repeat each arguments { argumentCount += 1 }
        writer.writeArrayHeader(argumentCount)
        do {
            for argument in repeat each arguments {
                try encoder.encode(argument, into: &writer)
            }
        } catch {
            writer.bytes.removeSubrange(start...)
            count -= 1
            throw error
        }
    }

    private mutating func beginState(callID: UInt64, container: String, operation: String) {
        assert(callID != 0, "call id 0 is reserved")
        begin(.state)
        writer.writeUInt(callID)
        writer.writeString(container)
        writer.writeString(operation)
    }

    // MARK: Internals

    /// Writes a trace context: a map from each field's name to its text, in order.
    private mutating func write(_ trace: Envelope.TraceContext) {
        writer.writeMapHeader(trace.fields.count)
        for field in trace.fields {
            writer.writeString(field.name)
            writer.writeString(field.value)
        }
    }

    @inline(__always)
    private mutating func begin(_ kind: Envelope.Kind, elements: Int? = nil) {
        writer.writeArrayHeader(elements ?? kind.arity)
        writer.writeUInt(UInt64(kind.rawValue))
        count += 1
    }
}
