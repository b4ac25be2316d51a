import Distributed
import Tracing
import TroupeWire

/// Sends the outcome of a received call back to the caller. You never use it directly.
public struct TroupeResultHandler: DistributedTargetInvocationResultHandler {
    /// What every result must be: `Codable`.
    public typealias SerializationRequirement = any Codable

    let system: TroupeActorSystem
    let callID: UInt64
    let peer: PeerAddress
    /// The call's `run` span, when a tracer is in force: a thrown error is recorded on it.
    let span: (any Span)?
    /// The distributed function called (its mangled identifier), and its actor's type, for
    /// the stack of a thrown error: named only then, since demangling costs more than a call.
    var target = ""
    var actorType: (any DistributedActor.Type)?

    /// Sends the function's result to the caller, or a `.badArguments` error when it cannot
    /// be encoded or is larger than the message limit.
    /// - Parameter value: the result.
    /// - Throws: never: a result that cannot be sent is reported to the caller as an error.
    public nonisolated(nonsending) func onReturn<Success: Codable>(value: Success) async throws {
        let encoded: [UInt8]
        do {
            encoded = try MessagePackEncoder().encode(value)
        } catch {
            system.send(.throw(Envelope.Throw(
                failure: TroupeError(.badArguments, "the result of type \(Success.self) could not be encoded: \(error)",
                                     context: ["resultType": String(reflecting: Success.self)]),
                callID: callID)), to: peer)
            return
        }
        if encoded.count > system.maximumMessageSize {
            system.send(.throw(Envelope.Throw(
                failure: TroupeError(.badArguments, "the result of type \(Success.self) takes \(encoded.count) bytes, more than the \(system.maximumMessageSize)-byte message limit: return less per call"),
                callID: callID)), to: peer)
            return
        }
        system.send(.return(Envelope.Return(callID: callID, value: encoded)), to: peer)
    }

    /// Tells the caller that a function without a result has returned.
    /// - Throws: never; the protocol requirement allows it.
    public nonisolated(nonsending) func onReturnVoid() async throws {
        system.send(.return(Envelope.Return(callID: callID)), to: peer)
    }

    /// Sends the error the function threw to the caller: its type name, its description and,
    /// when it is `Codable`, its value.
    /// - Parameter error: the thrown error.
    /// - Throws: never; the protocol requirement allows it.
    public func onThrow<Err: Error>(error: Err) async throws {
        var failure: any Error = error
        if let dispatchError = error as? ExecuteDistributedTargetError {
            // The runtime could not find or call the target: not an error of the user's code.
            failure = TroupeError(
                dispatchError.errorCode == .targetAccessorNotFound ? .unknownTarget : .badArguments,
                "the worker could not call the requested function (\(dispatchError.message)): both processes must run the same build",
                context: ["node": system.node])
        }
        span.map { TroupeTracing.fail($0, with: failure) }
        var reply = Envelope.Throw(failure: failure, callID: callID)
        if !(failure is TroupeError) {
            reply.stack = RemoteStack.capture(function: RemoteCallTarget(target).description,
                                              actorType: actorType.map { String(reflecting: $0) } ?? "",
                                              node: system.node, errorType: String(reflecting: Err.self))
        }
        system.send(.throw(reply), to: peer)
    }
}

extension Envelope.Throw {
    /// The THROW envelope that reports `error` for `callID`: a ``TroupeError`` keeps its code,
    /// anything else is a `remote` failure carrying its type name, its description and, when
    /// it is `Codable`, its own encoding.
    init(failure error: any Error, callID: UInt64) {
        if let error = error as? TroupeError {
            // Troupe's own error has no thrown type to name (empty, as Protocol 1 allows).
            self.init(callID: callID, code: Code(rawValue: error.code.rawValue), type: error.remoteType ?? "",
                      message: error.message, stack: error.remoteStack, detail: error.remoteDetail)
            return
        }
        var detail: [UInt8]? = nil
        if let encodable = error as? any Encodable {
            detail = try? MessagePackEncoder().encode(encodable)
        }
        self.init(callID: callID, code: .remote,
                  type: String(reflecting: Swift.type(of: error)),
                  message: String(describing: error), stack: [], detail: detail)
    }

    /// The error a caller sees for this envelope.
    var troupeError: TroupeError {
        var error = TroupeError(TroupeError.Code(code.rawValue), message)
        // Empty (or, from older peers, "TroupeError") when no error type was thrown in the callee.
        error.remoteType = type.isEmpty || type == "TroupeError" ? nil : type
        error.remoteStack = stack
        error.remoteDetail = detail
        return error
    }
}

extension TroupeError {
    /// Recovers the value of the error the worker threw, when its type is `Decodable` and it
    /// was `Codable` on the worker's side too.
    /// - Parameter type: the error type the worker threw.
    /// - Returns: the decoded error, or nil when this is not that type or carries no value.
    public func decodeRemote<E: Error & Decodable>(as type: E.Type) -> E? {
        guard code == .remote, let remoteDetail,
              remoteType == String(reflecting: E.self) else { return nil }
        return try? MessagePackDecoder().decode(E.self, from: remoteDetail)
    }
}
