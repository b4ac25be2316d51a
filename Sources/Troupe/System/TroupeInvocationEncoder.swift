import Distributed
import TroupeWire

/// Records a distributed call's generic substitutions and arguments as MessagePack.
///
/// Created by ``TroupeActorSystem/makeInvocationEncoder()``; you never use it directly.
public struct TroupeInvocationEncoder: DistributedTargetInvocationEncoder {
    public typealias SerializationRequirement = any Codable

    var genericSubstitutions: [String] = []
    var arguments: [[UInt8]] = []

    init() {}

    public mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        guard let name = _mangledTypeName(T.self) else {
            throw TroupeError(.badArguments, "the generic argument type \(T.self) has no mangled name and cannot be sent")
        }
        genericSubstitutions.append(name)
    }

    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        do {
            arguments.append(try MessagePackEncoder().encode(argument.value))
        } catch {
            throw TroupeError(.badArguments, "argument '\(argument.label ?? argument.effectiveLabel)' of type \(Value.self) could not be encoded: \(error)")
        }
    }

    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    public mutating func doneRecording() throws {}
}
