import Instrumentation
import TroupeWire

/// Reads an instrument's propagation fields from a received `CALL`'s trace context.
///
/// A `traceparent` that is not valid W3C Trace Context is not handed over, and neither is
/// the `tracestate` beside it (Protocol 1, "Trace context"): whatever the tracer, the call
/// then runs as if it carried neither.
struct TraceContextExtractor: Extractor {
    func extract(key: String, from carrier: Envelope.TraceContext) -> String? {
        switch key {
        case Envelope.TraceContext.traceParentName:
            return carrier.validTraceParent != nil ? carrier.traceParent : nil
        case Envelope.TraceContext.traceStateName:
            return carrier.validTraceParent != nil ? carrier.traceState : nil
        default:
            return carrier[key]
        }
    }
}
