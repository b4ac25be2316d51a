import Testing
@testable import TroupeWire

@Suite("Envelope codec")
struct EnvelopeTests {
    static let target = "$s4main7GreeterC5greetyS2SYaKFTE"

    static let samples: [Envelope] = [
        .call(Envelope.Call(callID: 1, actor: 2, target: target, genericSubstitutions: ["SS"], arguments: [[0xa2, 0x68, 0x69], [0x05]])),
        .call(Envelope.Call(callID: 11, actor: 2, target: target, arguments: [[0x05]],
                            trace: Envelope.TraceContext(traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                                         traceState: "congo=t61rcWkgMzE"))),
        .return(Envelope.Return(callID: 1, value: [0xa2, 0x68, 0x69])),
        .return(Envelope.Return(callID: 2)),
        .throw(Envelope.Throw(callID: 3, code: .remote, type: "main.E", message: "boom", stack: ["a", "b"], detail: [0x80])),
        .throw(Envelope.Throw(callID: 4, code: .workerCrashed, message: "worker 42 died (signal 9)")),
        .ready(Envelope.Ready(node: "host", pid: 42, actorType: "main.Greeter", actor: 7)),
        .heartbeat,
        .cancel(callID: 9),
        .disconnect(reason: "shutdown"),
        .goodbye,
        .reject(Envelope.Reject(WireError(.malformed, "bad", offset: 3))),
        .state(Envelope.StateOperation(callID: 10, container: "dict", operation: "set", arguments: [[0x01], [0x65]])),
    ]

    @Test("every kind round-trips, alone and batched")
    func roundTrip() throws {
        let decoder = EnvelopeDecoder()
        for envelope in Self.samples {
            var writer = EnvelopeWriter()
            writer.append(envelope)
            #expect(try decoder.decode(body: writer.bytes) == [envelope])
        }
        var writer = EnvelopeWriter()
        for _ in 0..<100 { writer.append(contentsOf: Self.samples) }
        #expect(writer.count == 100 * Self.samples.count)
        let decoded = try decoder.decode(body: writer.bytes)
        #expect(decoded.count == writer.count)
        #expect(decoded == Array(repeating: Self.samples, count: 100).flatMap { $0 })
    }

    @Test("10,000 envelopes in one body")
    func manyEnvelopes() throws {
        var writer = EnvelopeWriter()
        let encoder = MessagePackEncoder()
        for index in 1...10_000 {
            try writer.appendCall(callID: UInt64(index), actor: 1, target: Self.target, encoding: "hello \(index)", index, with: encoder)
        }
        let decoded = try EnvelopeDecoder().decode(body: writer.bytes)
        #expect(decoded.count == 10_000)
        let decoder = MessagePackDecoder()
        for (index, envelope) in decoded.enumerated() {
            guard case .call(let call) = envelope else {
                Issue.record("not a call")
                return
            }
            #expect(call.callID == UInt64(index + 1))
            #expect(try decoder.decode(String.self, from: call.arguments[0]) == "hello \(index + 1)")
            #expect(try decoder.decode(Int.self, from: call.arguments[1]) == index + 1)
        }
    }

    @Test("the fast paths write what append(_:) writes")
    func fastPaths() throws {
        let encoder = MessagePackEncoder()
        let arguments: [[UInt8]] = [try encoder.encode("hello"), try encoder.encode(3), try encoder.encode([1.5, 2.5])]
        var slow = EnvelopeWriter()
        slow.append(.call(Envelope.Call(callID: 5, actor: 6, target: Self.target, genericSubstitutions: ["Si"], arguments: arguments)))
        var fast = EnvelopeWriter()
        try fast.appendCall(callID: 5, actor: 6, target: Self.target, genericSubstitutions: ["Si"], encoding: "hello", 3, [1.5, 2.5], with: encoder)
        #expect(fast.bytes == slow.bytes)

        var recorded = MessagePackWriter()
        try encoder.encode("hello", into: &recorded)
        try encoder.encode(3, into: &recorded)
        try encoder.encode([1.5, 2.5], into: &recorded)
        var buffered = EnvelopeWriter()
        buffered.appendCall(callID: 5, actor: 6, target: Self.target, genericSubstitutions: ["Si"], argumentCount: 3, encodedArguments: recorded.bytes)
        #expect(buffered.bytes == slow.bytes)

        var noArguments = EnvelopeWriter()
        noArguments.appendCall(callID: 5, actor: 6, target: Self.target, arguments: [])
        #expect(try EnvelopeDecoder().decode(body: noArguments.bytes) == [.call(Envelope.Call(callID: 5, actor: 6, target: Self.target))])

        var returns = EnvelopeWriter()
        try returns.appendReturn(callID: 8, encoding: ["a": 1], with: encoder)
        returns.appendVoidReturn(callID: 9)
        try returns.appendState(callID: 10, container: "dict", operation: "set", encoding: 1, "x", with: encoder)
        #expect(try EnvelopeDecoder().decode(body: returns.bytes) == [
            .return(Envelope.Return(callID: 8, value: try encoder.encode(["a": 1]))),
            .return(Envelope.Return(callID: 9, value: [0xc0])),
            .state(Envelope.StateOperation(callID: 10, container: "dict", operation: "set", arguments: [[0x01], [0xa1, 0x78]])),
        ])
    }

    @Test("arguments whose containers grow are written correctly in the middle of a body")
    func growthInsideBody() throws {
        let encoder = MessagePackEncoder()
        var writer = EnvelopeWriter()
        writer.append(.heartbeat)
        let wide = MessagePackCoderTests.ManyKeys(count: 20)
        let huge = MessagePackCoderTests.ManyKeys(count: 70_000)
        try writer.appendCall(callID: 1, actor: 1, target: "t", encoding: wide, "between", huge, (0..<20).map { Int16($0) }, with: encoder)
        writer.append(.goodbye)
        let envelopes = try EnvelopeDecoder().decode(body: writer.bytes)
        #expect(envelopes.count == 3)
        guard case .call(let call) = envelopes[1] else {
            Issue.record("not a call")
            return
        }
        let decoder = MessagePackDecoder()
        #expect(try decoder.decode([String: Int].self, from: call.arguments[0]) == Dictionary(uniqueKeysWithValues: (0..<20).map { ("k\($0)", $0) }))
        #expect(try decoder.decode(String.self, from: call.arguments[1]) == "between")
        #expect(try decoder.decode([String: Int].self, from: call.arguments[2]).count == 70_000)
        #expect(try decoder.decode([Int16].self, from: call.arguments[3]) == (0..<20).map { Int16($0) })
        #expect(envelopes[2] == .goodbye)
    }

    @Test("one encoder and one decoder shared by concurrent tasks")
    func concurrentUse() async throws {
        let encoder = MessagePackEncoder()
        let decoder = MessagePackDecoder()
        let envelopeDecoder = EnvelopeDecoder()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var checked = 0
                    for index in 0..<500 {
                        let person = Person(name: "p\(task)-\(index)", age: index, email: nil, tags: ["t"], address: Address(street: "s", zip: task))
                        var body = EnvelopeWriter()
                        try body.appendCall(callID: UInt64(index + 1), actor: UInt64(task), target: "t", encoding: person, with: encoder)
                        let envelopes = try envelopeDecoder.decode(body: body.bytes)
                        guard case .call(let call) = envelopes.first else { continue }
                        if try decoder.decode(Person.self, from: call.arguments[0]) == person { checked += 1 }
                    }
                    return checked
                }
            }
            var total = 0
            for try await checked in group { total += checked }
            #expect(total == 8 * 500)
        }
    }

    struct Refuses: Encodable {
        struct Refusal: Error {}
        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(1)
            throw Refusal()
        }
    }

    @Test("an argument that fails to encode leaves the body as it was")
    func failedArgument() throws {
        let encoder = MessagePackEncoder()
        var writer = EnvelopeWriter()
        writer.append(.heartbeat)
        let before = writer.bytes
        #expect(throws: Refuses.Refusal.self) {
            try writer.appendCall(callID: 1, actor: 1, target: "t", encoding: "ok", Refuses(), with: encoder)
        }
        #expect(throws: Refuses.Refusal.self) {
            try writer.appendReturn(callID: 1, encoding: Refuses(), with: encoder)
        }
        #expect(writer.bytes == before)
        #expect(writer.count == 1)
        #expect(try EnvelopeDecoder().decode(body: writer.bytes) == [.heartbeat])
    }

    @Test("takeBytes and removeAll start a new body")
    func reuse() throws {
        var writer = EnvelopeWriter()
        #expect(writer.isEmpty)
        writer.append(.heartbeat)
        let first = writer.takeBytes()
        #expect(writer.isEmpty && writer.bytes.isEmpty)
        #expect(first == [0x91, 0x11])
        writer.append(.goodbye)
        writer.removeAll()
        #expect(writer.isEmpty && writer.bytes.isEmpty)
    }

    @Test("a body over the size limit is tooLarge")
    func sizeLimit() throws {
        var writer = EnvelopeWriter()
        for _ in 0..<10 { writer.append(.heartbeat) }
        let decoder = EnvelopeDecoder(maximumBodySize: 19)
        let error = #expect(throws: WireError.self) { try decoder.decode(body: writer.bytes) }
        #expect(error?.code == .tooLarge)
        #expect(try EnvelopeDecoder(maximumBodySize: 20).decode(body: writer.bytes).count == 10)
    }

    @Test("errors say where and what")
    func errorMessages() {
        var writer = EnvelopeWriter()
        writer.append(.heartbeat)
        writer.append(.cancel(callID: 5))
        var body = writer.bytes
        body[4] = 0xc2  // the call id becomes false
        let error = #expect(throws: WireError.self) { try EnvelopeDecoder().decode(body: body) }
        #expect(error?.code == .malformed)
        #expect(error?.offset == 4)
        #expect(error?.description.contains("CANCEL call_id") == true)
        #expect(error?.description.contains("at byte 4") == true)
        #expect(error?.description.contains("found bool") == true)
    }
}

@Suite("Examples in Protocols/1-envelope.md")
struct SpecificationExampleTests {
    func decode(_ hex: String) throws(WireError) -> [Envelope] {
        try EnvelopeDecoder().decode(body: TestSupport.bytes(hex: hex))
    }

    @Test("the examples decode as the specification says")
    func examples() throws {
        #expect(try decode("96 01 07 01 d9 20 24 73 34 6d 61 69 6e 37 47 72 65 65 74 65 72 43 35 67 72 65 65 74 79 53 32 53 59 61 4b 46 54 45 90 91 a5 68 65 6c 6c 6f")
            == [.call(Envelope.Call(callID: 7, actor: 1, target: "$s4main7GreeterC5greetyS2SYaKFTE", arguments: [[0xa5, 0x68, 0x65, 0x6c, 0x6c, 0x6f]]))])
        #expect(try decode("93 02 07 c0") == [.return(Envelope.Return(callID: 7))])
        #expect(try decode("91 11 92 12 07 91 14") == [.heartbeat, .cancel(callID: 7), .goodbye])
        #expect(try decode("95 10 a6 68 6f 73 74 2d 31 cd 10 92 ac 6d 61 69 6e 2e 47 72 65 65 74 65 72 01")
            == [.ready(Envelope.Ready(node: "host-1", pid: 4242, actorType: "main.Greeter", actor: 1))])
        #expect(try decode("95 20 0b a4 64 69 63 74 a3 73 65 74 92 01 65")
            == [.state(Envelope.StateOperation(callID: 11, container: "dict", operation: "set", arguments: [[0x01], [0x65]]))])
    }

    @Test("the precedence examples")
    func precedence() {
        let truncated = #expect(throws: WireError.self) { try decode("96 63") }
        #expect(truncated?.code == .truncated)
        let unknown = #expect(throws: WireError.self) { try decode("93 63 01 02") }
        #expect(unknown?.code == .unknownKind)
        #expect(unknown?.offset == 1)
    }

    @Test("the payload examples encode as the specification says")
    func payloads() throws {
        let encoder = MessagePackEncoder()
        #expect(TestSupport.hex(try encoder.encode(-33)) == "d0df")
        #expect(TestSupport.hex(try encoder.encode(0.1)) == "cb3fb999999999999a")
        #expect(TestSupport.hex(try encoder.encode(Float(1.5))) == "ca3fc00000")
        #expect(TestSupport.hex(try encoder.encode(Point(x: 1, y: -2))) == "82a17801a179fe")
        #expect(TestSupport.hex(try encoder.encode([1, nil, 3] as [Int?])) == "9301c003")
        #expect(TestSupport.hex(try encoder.encode(Shape.origin)) == "81a66f726967696e80")
    }
}
