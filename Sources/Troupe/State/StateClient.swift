import TroupeWire

/// Sends shared-state operations to their owner and decodes the answers: the part every
/// proxy shares.
struct StateClient: Sendable {
    let system: TroupeActorSystem
    let reference: SharedStateReference
    /// How long an operation may go unanswered before it fails with `.ownerUnavailable`.
    let timeout: Duration

    /// The client for a proxy being decoded: the receiving process's actor system comes
    /// from the decoder, as it does for distributed actor references.
    static func decode(from decoder: any Decoder) throws -> StateClient {
        let container = try decoder.singleValueContainer()
        let wire = try container.decode(WireForm.self)
        let system = try (decoder.userInfo[.actorSystemKey] as? TroupeActorSystem) ?? TroupeActorSystem.local()
        return StateClient(system: system, reference: wire.reference, timeout: .milliseconds(wire.timeoutMilliseconds))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        let milliseconds = timeout.wholeMilliseconds
        try container.encode(WireForm(reference: SharedStateRoute.handedOn(reference, by: system), timeoutMilliseconds: milliseconds))
    }

    /// What a proxy looks like on the wire.
    private struct WireForm: Codable {
        let reference: SharedStateReference
        let timeoutMilliseconds: Int64
    }

    // MARK: Operations

    /// Performs `operation` with already-encoded arguments; returns the encoded answer.
    nonisolated(nonsending) func perform(_ operation: String, _ arguments: [[UInt8]] = [], extraWait: Duration = .zero) async throws -> [UInt8] {
        try await system.stateCall(reference, operation: operation, arguments: arguments, timeout: timeout + extraWait)
    }

    /// Performs `operation` and decodes its answer as `R`.
    nonisolated(nonsending) func perform<R: Decodable>(_ operation: String, _ arguments: [[UInt8]] = [], as type: R.Type, extraWait: Duration = .zero) async throws -> R {
        let bytes = try await perform(operation, arguments, extraWait: extraWait)
        return try decode(R.self, from: bytes, operation: operation)
    }

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        do {
            return try MessagePackEncoder().encode(value)
        } catch {
            throw TroupeError(.badArguments, "a \(T.self) could not be encoded for \(reference): \(error)")
        }
    }

    /// Encodes `count` pairs as one MessagePack map.
    func encodeMap<Key: Encodable, Value: Encodable>(_ pairs: some Sequence<(Key, Value)>, count: Int) throws -> [UInt8] {
        var writer = MapArgumentWriter(count: count)
        if let array = pairs as? [(Key, Value)], writer.appendScalarPairs(array) { return writer.bytes }
        do {
            for (key, value) in pairs { try writer.append(key, value) }
        } catch {
            throw TroupeError(.badArguments, "a pair of \(Key.self) and \(Value.self) could not be encoded for \(reference): \(error)")
        }
        return writer.bytes
    }

    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], operation: String) throws -> T {
        var decoder = MessagePackDecoder()
        decoder.userInfo[.actorSystemKey] = system
        do {
            return try decoder.decode(T.self, from: bytes)
        } catch {
            throw TroupeError(.typeMismatch, "the shared container '\(reference.name)' holds values of another type than \(T.self) (\(operation) could not read them): attach with the types it was created with",
                              context: ["container": reference.name])
        }
    }

    /// Decodes a map answer pair by pair (keys of any Codable type keep their identity).
    func decodePairs<K: Decodable, V: Decodable>(_ bytes: [UInt8], operation: String, as: (K.Type, V.Type)) throws -> [(K, V)] {
        let value: MessagePackValue
        do {
            value = try MessagePackValue(decoding: bytes)
        } catch {
            throw TroupeError(.malformedMessage, "the answer to \(operation) is not MessagePack: \(error)")
        }
        guard let pairs = value.mapValue else {
            throw TroupeError(.typeMismatch, "the answer to \(operation) on \(reference) is not a map")
        }
        return try pairs.map { pair in
            (try decode(K.self, from: pair.key.encoded, operation: operation),
             try decode(V.self, from: pair.value.encoded, operation: operation))
        }
    }
}

extension TroupeActorSystem {
    /// Performs a shared-state operation at the owner of `reference`: directly when this
    /// process is the owner, otherwise as a STATE envelope.
    nonisolated(nonsending) func stateCall(_ reference: SharedStateReference, operation: String, arguments: [[UInt8]], timeout: Duration) async throws -> [UInt8] {
        if reference.node == node, let store = stateHandler.withLock({ $0 }) {
            let values: [MessagePackValue]
            do {
                values = try arguments.map { bytes throws(WireError) in try MessagePackValue(decoding: bytes) }
            } catch {
                throw TroupeError(.badArguments, "the arguments of \(operation) do not decode: \(error)")
            }
            let node = self.node
            return try await withUnsafeThrowingContinuation { continuation in
                store.perform(operation, on: reference.name, arguments: values, node: node) { result in
                    continuation.resume(with: result.map(\.encoded).mapError { $0 as any Error })
                }
            }
        }
        let peer: PeerAddress
        if let route = try SharedStateRoute.peer(for: reference, operation: operation, in: self) {
            peer = route
        } else {
            throw TroupeError(.ownerUnavailable, "no connection to the shared-state owner \(reference.node) of '\(reference.name)'",
                              context: ["container": reference.name])
        }
        let callID = calls.nextID()
        let envelope = Envelope.state(Envelope.StateOperation(callID: callID, container: reference.name,
                                                              operation: operation, arguments: arguments))
        let deadline = PendingCalls.Deadline(instant: ContinuousClock.now.advanced(by: timeout)) {
            TroupeError(
                .ownerUnavailable,
                "the shared-state owner of '\(reference.name)' did not answer \(operation) within \(timeout): is its process alive and reachable?",
                context: ["container": reference.name, "owner": reference.endpoint ?? reference.node])
        }
        do {
            return try await withUnsafeThrowingContinuation { continuation in
                calls.register(callID, peer: peer, continuation: continuation, deadline: deadline)
                transmitAndAwaitReply(envelope, to: peer, callID: callID)
            }
        } catch let error as TroupeError where error.code == .unknownPeer || error.code == .workerCrashed {
            throw TroupeError(
                .ownerUnavailable,
                "the shared-state owner of '\(reference.name)' is gone (\(error.message)); \(operation) did not run",
                context: ["container": reference.name, "owner": reference.endpoint ?? reference.node])
        }
    }
}
