import Distributed

/// A distributed actor that Troupe can run in a worker process.
///
/// Declare your work as a distributed actor conforming to `Worker`; its `distributed func`s
/// run in the worker process, with arguments and results checked by the compiler (`Codable`):
/// ```swift
/// distributed actor Greeter: Worker {
///     distributed func greet(_ name: String) -> String { "hello, \(name)" }
/// }
/// ```
/// List the type in ``Troupe/bootstrap(workers:handleSignals:logger:)`` at the top of `main` so that a worker
/// process started for it knows what to serve.
///
/// A worker process runs one call at a time, in arrival order, as a process in Python's pool
/// does: a call that suspends (say, `Task.sleep`) still holds the worker until it returns.
public protocol Worker: DistributedActor where ActorSystem == TroupeActorSystem {
    /// Creates the actor in `actorSystem`. Synthesized when every stored property has a default.
    init(actorSystem: ActorSystem)
}

extension Worker {
    /// The name a parent uses to ask a worker process for this type (`Module.Type`).
    static var workerTypeName: String { String(reflecting: Self.self) }
}
