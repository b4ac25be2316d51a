import Distributed
import Synchronization
import TroupeWire

/// What this process learnt of each distributed target it was asked to run, found once by
/// demangling the target's name and then kept: its parameter types, its result type,
/// whether it is generic. With them a call that does not fit is refused before it runs, and
/// a call that fits runs without demangling anything (the standard library's
/// `executeDistributedTarget` demangles the name three times for every call).
final class DistributedTargets: Sendable {
    /// One target's shape. Immutable once made; kept for the life of the process (a program
    /// has a fixed set of targets, and only real ones are kept).
    private final class Shape: @unchecked Sendable {
        let name: UnsafeMutableBufferPointer<UInt8>
        let parameterTypes: UnsafeMutableBufferPointer<Any.Type>
        let returnType: Any.Type
        let isGeneric: Bool

        init?(target: String) {
            let utf8 = Array(target.utf8)
            guard !utf8.isEmpty else { return nil }
            let name = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: utf8.count)
            _ = name.initialize(from: utf8)
            let count = troupeParameterCount(UnsafePointer(name.baseAddress!), UInt(name.count))
            let environment = _getGenericEnvironmentOfDistributedTarget(UnsafePointer(name.baseAddress!), UInt(name.count))
            // A generic target's types depend on the call's substitutions: it runs through
            // `executeDistributedTarget`, and only its arity is kept here.
            let returnType: Any.Type? = environment == nil
                ? __getReturnTypeInfo(UnsafePointer(name.baseAddress!), UInt(name.count), nil, nil) : Void.self
            guard count >= 0, let returnType else {
                name.deallocate()
                return nil
            }
            let types = UnsafeMutableBufferPointer<Any.Type>.allocate(capacity: max(1, Int(count)))
            if environment == nil, count > 0 {
                let written = troupeParameterTypeInfo(UnsafePointer(name.baseAddress!), UInt(name.count), nil, nil,
                                                      UnsafeMutableRawPointer(types.baseAddress!), Int(count))
                guard written == count else {
                    name.deallocate()
                    types.deallocate()
                    return nil
                }
            }
            self.name = name
            self.parameterTypes = UnsafeMutableBufferPointer(rebasing: types[0..<Int(count)])
            self.returnType = returnType
            self.isGeneric = environment != nil
        }
    }

    private let shapes = Mutex<[String: Shape]>([:])

    private func shape(of target: String) -> Shape? {
        if let known = shapes.withLock({ $0[target] }) { return known }
        // Only real targets are kept: names a peer made up must not grow the table.
        guard let shape = Shape(target: target) else { return nil }
        shapes.withLock { $0[target] = shape }
        return shape
    }

    /// Why `call` cannot run, or nil when its arguments fit its target (or the target is
    /// unknown here: running it then says so with the usual error).
    func check(_ call: Envelope.Call) -> TroupeError? {
        guard let shape = shape(of: call.target) else { return nil }
        let parameterCount = shape.parameterTypes.count
        if !shape.isGeneric, call.arguments.count != parameterCount {
            return TroupeError(.badArguments, "\(call.target) takes \(parameterCount) argument(s); the call carries \(call.arguments.count): both processes must run the same build")
        }
        if !shape.isGeneric && !call.genericSubstitutions.isEmpty {
            return TroupeError(.badArguments, "\(call.target) is not generic; the call carries \(call.genericSubstitutions.count) generic argument(s)")
        }
        return nil
    }

    /// Runs `call` on `actor` and hands its outcome to `handler`, as
    /// `executeDistributedTarget` does, with the target's shape from the table.
    func execute(_ call: Envelope.Call, on actor: any DistributedActor, decoder: inout TroupeInvocationDecoder,
                 handler: TroupeResultHandler, system: TroupeActorSystem) async throws {
        guard let shape = shape(of: call.target), !shape.isGeneric else {
            try await system.executeDistributedTarget(on: actor, target: RemoteCallTarget(call.target),
                                                      invocationDecoder: &decoder, handler: handler)
            return
        }
        func allocate<R>(_: R.Type) -> UnsafeMutableRawPointer {
            UnsafeMutableRawPointer(UnsafeMutablePointer<R>.allocate(capacity: 1))
        }
        let result = _openExistential(shape.returnType, do: allocate)
        defer { result.deallocate() }
        do {
            try await troupeExecuteDistributedTarget(
                on: actor, UnsafePointer(shape.name.baseAddress!), UInt(shape.name.count),
                argumentDecoder: &decoder, argumentTypes: UnsafeRawPointer(shape.parameterTypes.baseAddress!),
                resultBuffer: result, substitutions: nil, witnessTables: nil, numWitnessTables: 0)
        } catch {
            try await handler.onThrow(error: error)
            return
        }
        if shape.returnType == Void.self {
            try await handler.onReturnVoid()
            return
        }
        func destroy<R>(_: R.Type) {
            result.assumingMemoryBound(to: R.self).deinitialize(count: 1)
        }
        defer { _openExistential(shape.returnType, do: destroy) }
        try await system.invokeHandlerOnReturn(handler: handler, resultBuffer: UnsafeRawPointer(result), metatype: shape.returnType)
    }
}

// The Swift runtime's entry points behind `executeDistributedTarget`, declared with the
// pointer types Swift code can name.

@_silgen_name("swift_func_getParameterCount")
private func troupeParameterCount(_ name: UnsafePointer<UInt8>, _ length: UInt) -> Int32

@_silgen_name("swift_func_getParameterTypeInfo")
private func troupeParameterTypeInfo(_ name: UnsafePointer<UInt8>, _ length: UInt, _ environment: UnsafeRawPointer?,
                                     _ arguments: UnsafeRawPointer?, _ types: UnsafeMutableRawPointer, _ typesLength: Int) -> Int32

@_silgen_name("swift_distributed_execute_target")
private func troupeExecuteDistributedTarget<D: DistributedTargetInvocationDecoder>(
    on actor: AnyObject,
    _ targetName: UnsafePointer<UInt8>, _ targetNameLength: UInt,
    argumentDecoder: inout D,
    argumentTypes: UnsafeRawPointer,
    resultBuffer: UnsafeMutableRawPointer,
    substitutions: UnsafeRawPointer?,
    witnessTables: UnsafeRawPointer?,
    numWitnessTables: UInt
) async throws
