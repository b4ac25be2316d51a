import Distributed
import Synchronization
import TroupeWire

/// What this process learnt of each distributed target it was asked to run: how many
/// arguments it takes and whether it is generic, found once by demangling its name and then
/// kept, so that a call that does not fit is refused before it runs.
final class DistributedTargets: Sendable {
    private struct Shape {
        /// The number of parameters, or nil when the name is not a target's.
        let parameterCount: Int?
        let isGeneric: Bool
    }

    private let shapes = Mutex<[String: Shape]>([:])

    /// Why `call` cannot run on `actor`, or nil when its arguments fit its target.
    func check(_ call: Envelope.Call, on actor: any DistributedActor) -> TroupeError? {
        let shape = self.shape(of: call.target)
        guard let parameterCount = shape.parameterCount else {
            // Not a target's name: the runtime says so with the usual error.
            return nil
        }
        if call.arguments.count != parameterCount {
            return TroupeError(.badArguments, "\(call.target) takes \(parameterCount) argument(s); the call carries \(call.arguments.count): both processes must run the same build")
        }
        if !shape.isGeneric && !call.genericSubstitutions.isEmpty {
            return TroupeError(.badArguments, "\(call.target) is not generic; the call carries \(call.genericSubstitutions.count) generic argument(s)")
        }
        return nil
    }

    private func shape(of target: String) -> Shape {
        if let known = shapes.withLock({ $0[target] }) { return known }
        let count = _getParameterCount(mangledMethodName: target)
        var name = Array(target.utf8)
        let environment = name.withUnsafeMutableBufferPointer { buffer in
            _getGenericEnvironmentOfDistributedTarget(buffer.baseAddress!, UInt(buffer.count))
        }
        let shape = Shape(parameterCount: count >= 0 ? Int(count) : nil, isGeneric: environment != nil)
        // Only real targets are kept: names a peer made up must not grow the table.
        if shape.parameterCount != nil { shapes.withLock { $0[target] = shape } }
        return shape
    }
}
