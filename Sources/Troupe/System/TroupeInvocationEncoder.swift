import Distributed
import TroupeWire

/// Records a distributed call's generic substitutions and arguments as MessagePack.
///
/// Created by ``TroupeActorSystem/makeInvocationEncoder()``; you never use it directly.
public struct TroupeInvocationEncoder: DistributedTargetInvocationEncoder {
    /// What every argument must be: `Codable`.
    public typealias SerializationRequirement = any Codable

    var genericSubstitutions: [String] = []
    var arguments: [[UInt8]] = []

    init() {}

    /// Records a generic argument of the call by its mangled name.
    /// - Parameter type: the generic argument.
    /// - Throws: ``TroupeError`` `.badArguments` when the type has no mangled name.
    public mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        guard let name = _mangledTypeName(T.self) else {
            throw TroupeError(.badArguments, "the generic argument type \(T.self) has no mangled name and cannot be sent")
        }
        genericSubstitutions.append(name)
    }

    /// Records an argument, encoded as MessagePack.
    /// - Parameter argument: the argument and its label.
    /// - Throws: ``TroupeError`` `.badArguments` when the value cannot be encoded.
    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        do {
            arguments.append(try MessagePackEncoder().encode(argument.value))
        } catch {
            // By position and parameter name: an unlabelled argument's label is only "_".
            let position = arguments.count + 1
            throw TroupeError(.badArguments, "argument \(position) ('\(argument.name)') of type \(Value.self) could not be encoded: \(error)",
                              context: ["argument": "\(position)", "parameter": argument.name])
        }
    }

    /// Records the error type the function declares; Troupe does not send it.
    /// - Parameter type: the error type.
    /// - Throws: never; the protocol requirement allows it.
    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    /// Records the result type; Troupe does not send it.
    /// - Parameter type: the result type.
    /// - Throws: never; the protocol requirement allows it.
    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    /// Ends the recording; nothing is left to do.
    /// - Throws: never; the protocol requirement allows it.
    public mutating func doneRecording() throws {}
}
