import Distributed
import TroupeWire

/// Decodes a received call's generic substitutions and arguments for
/// `executeDistributedTarget`. You never use it directly.
public struct TroupeInvocationDecoder: DistributedTargetInvocationDecoder {
    /// What every argument must be: `Codable`.
    public typealias SerializationRequirement = any Codable

    private let call: Envelope.Call
    private let decoder: MessagePackDecoder
    private var nextArgument = 0
    /// Set when an argument failed to decode, so the failure is reported as bad arguments
    /// rather than as an error of the called function.
    private(set) var argumentFailure: TroupeError?

    init(call: Envelope.Call, system: TroupeActorSystem) {
        self.call = call
        self.decoder = system.decoder
    }

    /// The call's generic arguments, found by their mangled names.
    /// - Returns: the types, in order.
    /// - Throws: ``TroupeError`` `.badArguments` when a type is unknown in this process (the
    ///   two sides run different builds).
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

    /// Decodes the next argument from MessagePack.
    /// - Returns: the argument.
    /// - Throws: ``TroupeError`` `.badArguments` when the call carries too few arguments or
    ///   this one does not decode as `Argument`.
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

    /// The error type the caller expects; Troupe does not send it.
    /// - Returns: nil.
    /// - Throws: never; the protocol requirement allows it.
    public mutating func decodeErrorType() throws -> Any.Type? { nil }

    /// The result type the caller expects; Troupe does not send it.
    /// - Returns: nil.
    /// - Throws: never; the protocol requirement allows it.
    public mutating func decodeReturnType() throws -> Any.Type? { nil }
}
