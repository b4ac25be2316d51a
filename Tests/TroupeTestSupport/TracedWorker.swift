import TroupePlatform
import InMemoryTracing
import Synchronization
import Tracing
import Troupe

/// A span that a worker process's tracer finished, as a test in the parent reads it back.
public struct RecordedSpan: Codable, Equatable, Sendable, CustomStringConvertible {
    public var name: String
    public var traceID: String
    public var spanID: String
    public var parentSpanID: String?
    /// The span's attributes, each as text.
    public var attributes: [String: String]
    /// Whether the span ended with an error status.
    public var failed: Bool

    public init(_ span: FinishedInMemorySpan) {
        name = span.operationName
        traceID = span.traceID
        spanID = span.spanID
        parentSpanID = span.parentSpanID
        var attributes: [String: String] = [:]
        span.attributes.forEach { key, value in attributes[key] = RecordedSpan.text(value) }
        self.attributes = attributes
        failed = span.status?.code == .error
    }

    public var description: String {
        "\(name) \(traceID)/\(spanID) parent \(parentSpanID ?? "none")"
    }

    static func text(_ attribute: SpanAttribute) -> String {
        switch attribute {
        case .string(let text): text
        case .int64(let number): String(number)
        case .int32(let number): String(number)
        case .bool(let flag): String(flag)
        case .double(let number): String(number)
        default: "\(attribute)"
        }
    }
}

/// The worker of the tracing tests: a worker process started for it traces its calls with
/// ``tracer`` (the test worker program bootstraps it for this type only), and hands back
/// the spans it finished.
public distributed actor TracedWorker: Worker {
    /// The in-memory tracer of a process serving this type. Ids start with the process id,
    /// so that the parent's and the worker's never meet by chance.
    public static let tracer = InMemoryTracer(idGenerator: uniqueIDs(prefix: "w\(getpid())"))

    public init(actorSystem: ActorSystem) {
        self.actorSystem = actorSystem
    }

    distributed public func echo(_ text: String) -> String { text }

    distributed public func fail(_ message: String) throws -> String {
        throw TestFailure(message: message)
    }

    /// The spans this process's tracer has finished so far (a call's `run` span ends right
    /// after its reply leaves, before the worker takes its next call).
    distributed public func finishedSpans() -> [RecordedSpan] {
        Self.tracer.finishedSpans.map(RecordedSpan.init)
    }

    /// Ids `prefix-trace-1`, `prefix-span-1`, …: unique to the process when the prefix is.
    public static func uniqueIDs(prefix: String) -> InMemoryTracer.IDGenerator {
        let counter = Atomic<Int>(0)
        return InMemoryTracer.IDGenerator(
            nextTraceID: { "\(prefix)-trace-\(counter.add(1, ordering: .relaxed).newValue)" },
            nextSpanID: { "\(prefix)-span-\(counter.add(1, ordering: .relaxed).newValue)" })
    }
}
