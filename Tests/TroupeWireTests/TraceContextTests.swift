import Testing
@testable import TroupeWire

/// The optional trace context of a `CALL`, and W3C `traceparent` parsing, against
/// `Protocols/1-envelope-vectors.json`.
@Suite("CALL trace context")
struct TraceContextTests {
    static let traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test("the vectors cover calls with and without a trace context, and the ways one is malformed")
    func vectorsCoverTheField() {
        let calls = Vectors.validBodies.flatMap { $0.decoded ?? [] }.filter { $0.kind == "CALL" }
        #expect(calls.contains { $0.trace == nil })
        #expect(calls.contains { $0.trace?.contains { $0.first == "traceparent" } == true })
        #expect(calls.contains { $0.trace?.contains { $0.first == "tracestate" } == true })
        #expect(calls.contains { $0.trace?.isEmpty == true })
        let rejected = Set(Vectors.rejectedBodies.map(\.name))
        #expect(rejected.isSuperset(of: ["arity/call-8", "type/call-trace-nil", "type/call-trace-int-value", "utf8/call-trace-value"]))
        #expect(Vectors.envelope.traceparent.contains { $0.valid })
        #expect(Vectors.envelope.traceparent.contains { !$0.valid })
    }

    @Test("a traceparent is taken or ignored as the vectors say", arguments: Vectors.envelope.traceparent)
    func traceParentVector(_ vector: TraceParentVector) throws {
        let parsed = TraceParent(vector.text)
        #expect((parsed != nil) == vector.valid)
        guard let parsed, vector.valid else { return }
        #expect(parsed.traceID == vector.trace_id)
        #expect(parsed.parentID == vector.parent_id)
        #expect(parsed.flags == vector.flags)
        #expect(parsed.isSampled == vector.sampled)
        // Its own text is version 0's form, and reads back the same ids and flags.
        let written = try #require(TraceParent(parsed.description))
        #expect(written.version == 0 && parsed.description.utf8.count == 55)
        #expect(written.traceID == parsed.traceID && written.parentID == parsed.parentID && written.flags == parsed.flags)
    }

    @Test("a call whose traceparent is malformed still decodes; its trace context reports no valid parent")
    func malformedTraceParentIsNotAnError() throws {
        let vector = try #require(Vectors.validBodies.first { $0.name == "call/trace-malformed-traceparent" })
        let envelopes = try EnvelopeDecoder().decode(body: vector.bytes)
        guard case .call(let call) = try #require(envelopes.first) else {
            Issue.record("not a CALL: \(envelopes)")
            return
        }
        let trace = try #require(call.trace)
        #expect(trace.traceParent != nil)
        #expect(trace.validTraceParent == nil)
    }

    @Test("every appendCall form writes the trace context as the seventh element, and none without one")
    func writerForms() throws {
        let trace = Envelope.TraceContext(traceParent: Self.traceParent)
        let expected = Envelope.call(Envelope.Call(callID: 3, actor: 1, target: "t", arguments: [[0xa1, 0x61], [0x07]], trace: trace))
        var body = EnvelopeWriter()
        body.appendCall(callID: 3, actor: 1, target: "t", arguments: [[0xa1, 0x61], [0x07]], trace: trace)
        body.appendCall(callID: 3, actor: 1, target: "t", argumentCount: 2, encodedArguments: [0xa1, 0x61, 0x07], trace: trace)
        try body.appendCall(callID: 3, actor: 1, target: "t", encoding: "a", 7, with: MessagePackEncoder(), trace: trace)
        #expect(try EnvelopeDecoder().decode(body: body.bytes) == [expected, expected, expected])
        #expect(body.bytes.first == 0x97)

        var plain = EnvelopeWriter()
        plain.appendCall(callID: 3, actor: 1, target: "t", arguments: [])
        #expect(plain.bytes.first == 0x96, "no trace context: the six elements an older peer expects")
    }

    @Test("fields are looked up by exact name, set in place, and removed")
    func fieldAccess() {
        var trace = Envelope.TraceContext(traceParent: Self.traceParent, traceState: "a=1")
        #expect(trace.traceState == "a=1")
        #expect(trace["TraceParent"] == nil)
        trace["tracestate"] = "b=2"
        trace["baggage"] = "user=ada"
        #expect(trace.fields.map(\.name) == ["traceparent", "tracestate", "baggage"])
        #expect(trace.traceState == "b=2")
        trace["tracestate"] = nil
        #expect(trace.fields.map(\.name) == ["traceparent", "baggage"])
        #expect(trace.validTraceParent?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
    }
}
