import Distributed
import Tracing
import TroupeWire

/// How Troupe traces work with swift-distributed-tracing: the spans it makes, their names
/// and attributes, and the test that keeps an untraced process from paying for any of it.
///
/// - `task` (internal): a pool task's life in the parent, from submission through the
///   queue to its outcome; an event `started` marks each time a worker takes it.
/// - `call` (client): one distributed call in the caller, from sending to its reply. Its
///   context is injected into the `CALL` envelope's trace context (Protocol 1).
/// - `run` (server): the call in the callee's process, whose parent is the context the
///   callee's instrument extracts from the envelope.
enum TroupeTracing {
    /// The span of a pool task's life in the parent.
    static let taskSpanName = "task"
    /// The span of a distributed call in the caller.
    static let callSpanName = "call"
    /// The span of a distributed call in the callee.
    static let runSpanName = "run"
    /// The value of `rpc.system` on call and run spans.
    static let rpcSystem = "troupe"

    /// Whether an instrument other than the no-op one is in force for the current task
    /// (bootstrapped, or bound with `withTracer`). When false, Troupe makes no span, injects
    /// and extracts nothing, and leaves `CALL` envelopes at six elements.
    ///
    /// It compares the instrument's type with the no-op types' (no dynamic cast): a
    /// task-local read and a reader lock, on every task and call of an untraced process.
    @inline(__always)
    static var isEnabled: Bool {
        let type = ObjectIdentifier(Swift.type(of: InstrumentationSystem.instrument))
        return type != noOpInstrument && type != noOpTracer
    }

    private static let noOpInstrument = ObjectIdentifier(NoOpInstrument.self)
    private static let noOpTracer = ObjectIdentifier(NoOpTracer.self)

    /// The caller's trace context for a call made in `context`, as the current instrument
    /// injects it; nil when it injects nothing.
    static func inject(_ context: ServiceContext) -> Envelope.TraceContext? {
        var trace = Envelope.TraceContext()
        InstrumentationSystem.instrument.inject(context, into: &trace, using: TraceContextInjector())
        return trace.isEmpty ? nil : trace
    }

    /// The context a received call runs in: a top-level context with what the current
    /// instrument extracts from the call's trace context (nothing from an invalid
    /// `traceparent`, see ``TraceContextExtractor``).
    static func extract(_ trace: Envelope.TraceContext?) -> ServiceContext {
        var context = ServiceContext.topLevel
        if let trace, !trace.isEmpty {
            InstrumentationSystem.instrument.extract(trace, into: &context, using: TraceContextExtractor())
        }
        return context
    }

    /// Starts the client span of a call, and returns it with the trace context to send.
    static func startCall(target: RemoteCallTarget, actorType: String, callID: UInt64, node: String) -> (any Span, Envelope.TraceContext?) {
        let span = InstrumentationSystem.tracer.startSpan(callSpanName, context: ServiceContext.current ?? .topLevel, ofKind: .client)
        span.updateAttributes { attributes in
            attributes["rpc.system"] = rpcSystem
            attributes["rpc.service"] = actorType
            attributes["rpc.method"] = target.description
            attributes["troupe.call_id"] = Int64(truncatingIfNeeded: callID)
            attributes["troupe.node"] = node
        }
        return (span, inject(span.context))
    }

    /// Starts the server span of a received call, as a child of the caller's span when the
    /// call carries its context.
    static func startRun(_ call: Envelope.Call, actorType: String, node: String) -> any Span {
        let span = InstrumentationSystem.tracer.startSpan(runSpanName, context: extract(call.trace), ofKind: .server)
        span.updateAttributes { attributes in
            attributes["rpc.system"] = rpcSystem
            attributes["rpc.service"] = actorType
            attributes["rpc.method"] = RemoteCallTarget(call.target).description
            attributes["troupe.call_id"] = Int64(truncatingIfNeeded: call.callID)
            attributes["troupe.node"] = node
        }
        return span
    }

    /// Starts the span of a pool task, in the context of the code that submits it (the pool
    /// adds `troupe.task` once the task has its id).
    static func startTask(pool: UInt64, retryable: Bool, timeout: Duration?) -> TaskTrace {
        let instrument = InstrumentationSystem.instrument
        let span = InstrumentationSystem.tracer.startSpan(taskSpanName, context: ServiceContext.current ?? .topLevel, ofKind: .internal)
        span.updateAttributes { attributes in
            attributes["troupe.pool"] = Int64(truncatingIfNeeded: pool)
            attributes["troupe.retryable"] = retryable
            if let timeout { attributes["troupe.timeout_ms"] = timeout.wholeMilliseconds }
        }
        return TaskTrace(span: span, tracer: instrument as? any Tracer)
    }

    /// Marks a span failed with `error` (the span's status message is a ``TroupeError``'s
    /// code, never a payload).
    static func fail(_ span: any Span, with error: any Error) {
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: (error as? TroupeError).map { "\($0.code)" }))
    }

    /// Ends a span, marking it failed when `error` is not nil.
    static func end(_ span: any Span, error: (any Error)?) {
        if let error { fail(span, with: error) }
        span.end()
    }
}

/// A pool task's span, and the tracer in force where it was submitted: the task's calls
/// are made with that tracer, in the span's context, whichever task runs them. A class: the
/// pool keeps one reference per task, not two existentials, in the entry of every task.
final class TaskTrace: Sendable {
    let span: any Span
    /// The tracer to bind around the task's work; nil when the instrument in force is not
    /// a plain tracer (a multiplex one is then found through the bootstrapped system).
    let tracer: (any Tracer)?

    init(span: any Span, tracer: (any Tracer)?) {
        self.span = span
        self.tracer = tracer
    }

    /// Marks the span: a worker position took the task (again, after a retry).
    func started(position: Int) {
        span.addEvent(SpanEvent(name: "started", attributes: ["troupe.worker": .int64(Int64(position))]))
    }

    /// Runs `body` in the span's context, with the submitter's tracer.
    func run<T>(_ body: () async -> T) async -> T {
        if let tracer {
            return await withTracer(tracer) {
                await ServiceContext.withValue(span.context) { await body() }
            }
        }
        return await ServiceContext.withValue(span.context) { await body() }
    }
}
