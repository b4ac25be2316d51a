import InMemoryTracing
import Testing
import Tracing
@testable import Troupe
import TroupeTestSupport
import TroupeWire

/// A task's spans across the process boundary: the parent traces with an in-memory tracer
/// bound to the test (`withTracer`), the worker process with its own (``TracedWorker``), and
/// the worker hands its finished spans back through a distributed call.
@Suite("Tracing across processes", .serialized)
struct TracingTests {
    init() {
        TestEnvironment.useTestWorker()
    }

    /// The parent's finished spans of `name`, once there are `count` of them (a task's span
    /// ends just after its result is handed over).
    func spans(_ name: String, count: Int = 1, in tracer: InMemoryTracer) async -> [FinishedInMemorySpan] {
        await eventually { tracer.finishedSpans.filter { $0.operationName == name }.count >= count }
        return tracer.finishedSpans.filter { $0.operationName == name }
    }

    @Test("a pool task: the worker's run span is the child of the parent's call span, in the parent's trace")
    func poolTaskSpansLinkParentAndWorker() async throws {
        let tracer = InMemoryTracer(idGenerator: TracedWorker.uniqueIDs(prefix: "parent"))
        let pool = try await Pool<TracedWorker>(processes: 1)
        let (answer, test) = try await withTracer(tracer) {
            try await tracer.withSpan("test") { span in
                (try await pool.apply { try await $0.echo("hello") }, span.context.inMemorySpanContext)
            }
        }
        #expect(answer == "hello")
        // Asked without a tracer: this call makes no span of its own in the parent.
        let workerSpans = try await pool.apply { try await $0.finishedSpans() }
        pool.close()
        try await pool.join()

        let task = try #require(await spans("task", in: tracer).first)
        let call = try #require(await spans("call", in: tracer).first)
        let run = try #require(workerSpans.first { $0.name == "run" }, "the worker finished no run span: \(workerSpans)")
        let testSpan = try #require(test)

        // One trace, from the test's span down to the worker's.
        #expect(task.traceID == testSpan.traceID && task.parentSpanID == testSpan.spanID)
        #expect(call.traceID == task.traceID && call.parentSpanID == task.spanID)
        #expect(run.traceID == call.traceID, "run \(run), call \(call.spanContext)")
        #expect(run.parentSpanID == call.spanID, "run \(run), call \(call.spanContext)")
        #expect(run.spanID.hasPrefix("w"), "the run span's id is the worker tracer's own")

        #expect(task.kind == .internal && call.kind == .client)
        #expect(task.events.map(\.name) == ["started"])
        #expect(call.attributes.get("rpc.system") == .string("troupe"))
        #expect("\(call.attributes.get("rpc.method").map(RecordedSpanText.of) ?? "")".contains("echo"))
        #expect(run.attributes["rpc.system"] == "troupe")
        #expect(run.attributes["rpc.method"]?.contains("echo") == true)
        #expect(!task.attributes.isEmpty && task.status?.code != .error && !run.failed)
        #expect(tracer.activeSpans.isEmpty)
        // The pool's runner began inside `withTracer`; the task submitted after the scope is
        // not traced with that tracer (a runner keeps no task-locals of who started it).
        #expect(tracer.finishedSpans.map(\.operationName).sorted() == ["call", "task", "test"])
    }

    @Test("a task whose call throws: the task, call and run spans all say it failed")
    func failedTaskMarksItsSpans() async throws {
        let tracer = InMemoryTracer(idGenerator: TracedWorker.uniqueIDs(prefix: "parent"))
        let pool = try await Pool<TracedWorker>(processes: 1)
        _ = await withTracer(tracer) {
            await #expect(throws: TroupeError.self) {
                try await pool.apply { try await $0.fail("no") }
            }
        }
        let workerSpans = try await pool.apply { try await $0.finishedSpans() }
        pool.close()
        try await pool.join()

        let task = try #require(await spans("task", in: tracer).first)
        let call = try #require(await spans("call", in: tracer).first)
        let run = try #require(workerSpans.first { $0.name == "run" })
        #expect(task.status?.code == .error && !task.errors.isEmpty)
        #expect(call.status?.code == .error)
        #expect(run.failed && run.parentSpanID == call.spanID)
    }

    @Test("a plain remote call (no pool) is traced the same way")
    func plainRemoteCall() async throws {
        let tracer = InMemoryTracer(idGenerator: TracedWorker.uniqueIDs(prefix: "parent"))
        let process = try await ActorProcess.start(TracedWorker.self)
        let answer = try await withTracer(tracer) { try await process.actor.echo("plain") }
        let workerSpans = try await process.actor.finishedSpans()
        _ = await process.stop()

        #expect(answer == "plain")
        #expect(tracer.finishedSpans.map(\.operationName) == ["call"], "no task span without a pool")
        let call = try #require(tracer.finishedSpans.first)
        let run = try #require(workerSpans.first { $0.name == "run" })
        #expect(call.parentSpanID == nil)
        #expect(run.traceID == call.traceID && run.parentSpanID == call.spanID)
    }

    @Test("without a tracer in the parent, calls carry no trace context: the worker's run span begins a trace of its own")
    func untracedParentSendsNothing() async throws {
        #expect(!TroupeTracing.isEnabled)
        let pool = try await Pool<TracedWorker>(processes: 1)
        _ = try await pool.apply { try await $0.echo("untraced") }
        let workerSpans = try await pool.apply { try await $0.finishedSpans() }
        pool.close()
        try await pool.join()
        let run = try #require(workerSpans.first { $0.name == "run" })
        #expect(run.parentSpanID == nil)
        #expect(run.traceID.hasPrefix("w"), "a trace the worker began: \(run)")
    }

    @Test("a traceparent that is not valid is not handed to the tracer, nor its tracestate")
    func malformedTraceParentIsIgnored() {
        let extractor = TraceContextExtractor()
        let valid = Envelope.TraceContext(traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", traceState: "a=1")
        #expect(extractor.extract(key: "traceparent", from: valid) == valid.traceParent)
        #expect(extractor.extract(key: "tracestate", from: valid) == "a=1")
        var invalid = Envelope.TraceContext(traceParent: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", traceState: "a=1")
        invalid["baggage"] = "user=ada"
        #expect(extractor.extract(key: "traceparent", from: invalid) == nil)
        #expect(extractor.extract(key: "tracestate", from: invalid) == nil)
        #expect(extractor.extract(key: "baggage", from: invalid) == "user=ada", "other formats' fields are the tracer's to judge")
    }
}

/// A span attribute as text, for messages and `contains` checks.
enum RecordedSpanText {
    static func of(_ attribute: SpanAttribute) -> String {
        if case .string(let text) = attribute { return text }
        return "\(attribute)"
    }
}
