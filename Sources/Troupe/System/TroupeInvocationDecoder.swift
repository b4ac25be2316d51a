import Distributed
import TroupeWire

/// Decodes a received call's generic substitutions and arguments for
/// `executeDistributedTarget`. You never use it directly.
public struct TroupeInvocationDecoder: DistributedTargetInvocationDecoder {
    public typealias SerializationRequirement = any Codable

    private let call: Envelope.Call
    private let decoder: MessagePackDecoder
    private var nextArgument = 0
    /// Set when an argument failed to decode, so the failure is reported as bad arguments
    /// rather than as an error of the called function.
    private(set) var argumentFailure: TroupeError?

    init(call: Envelope.Call, system: TroupeActorSystem) {
        self.call = call
        var decoder = MessagePackDecoder()
        decoder.userInfo[.actorSystemKey] = system
        self.decoder = decoder
    }

    public mutating func decodeGenericSubstitutions() throws -> [Any.Type] {
        try call.genericSubstitutions.map { name in
            guard let type = _typeByName(name) else {
                let failure = TroupeError(.badArguments, "the generic argument type '\(name)' is unknown in this process: both sides must run the same build")
                argumentFailure = failure
                throw failure
            }
            return type
        }
    }

    public mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        guard nextArgument < call.arguments.count else {
            let failure = TroupeError(.badArguments, "the call carries \(call.arguments.count) arguments, fewer than \(call.target) takes")
            argumentFailure = failure
            throw failure
        }
        defer { nextArgument += 1 }
        do {
            return try decoder.decode(Argument.self, from: call.arguments[nextArgument])
        } catch {
            let failure = TroupeError(.badArguments, "argument \(nextArgument + 1) does not decode as \(Argument.self): \(error)")
            argumentFailure = failure
            throw failure
        }
    }

    public mutating func decodeErrorType() throws -> Any.Type? { nil }

    public mutating func decodeReturnType() throws -> Any.Type? { nil }
}
