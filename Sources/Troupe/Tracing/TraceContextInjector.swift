import Instrumentation
import TroupeWire

/// Writes an instrument's propagation fields into a `CALL`'s trace context.
struct TraceContextInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout Envelope.TraceContext) {
        carrier[key] = value
    }
}
