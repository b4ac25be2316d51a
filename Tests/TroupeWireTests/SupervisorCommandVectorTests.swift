import Testing
@testable import TroupeWire

/// The Protocol 2 header codec (`SupervisorCommand`) against `Protocols/2-supervision-vectors.json`,
/// made by Python's `msgpack`.
@Suite("Protocol 2 vectors")
struct SupervisorCommandVectorTests {
    @Test("the vector file is complete")
    func vectorFileIsComplete() {
        let file = SupervisionVectors.file
        #expect(file.signature == TestSupport.hex(SupervisorCommand.signature))
        #expect(SupervisionVectors.validHeaders.count > 25)
        #expect(SupervisionVectors.rejectedHeaders.count > 100)
        let commands = Set(SupervisionVectors.validHeaders.compactMap { $0.decoded?.command })
        #expect(commands == Set(file.commands.keys))
        #expect(file.commands.count == 16)
        let codes = Set(file.cases.compactMap(\.error))
        #expect(codes == ["truncated", "malformed", "typeMismatch", "integerOverflow", "unknownKind",
                          "invalidUTF8", "trailingBytes", "badSignature", "unsupportedVersion"])
    }

    @Test("each command's number is the one the file lists")
    func commandNumbers() throws {
        for vector in SupervisionVectors.validHeaders where vector.canonical == true {
            let decoded = try #require(vector.decoded)
            let number = try #require(SupervisionVectors.file.commands[decoded.command])
            // A canonical header starts with a fixarray byte, then the command as a positive fixint.
            #expect(vector.bytes.count >= 2 && UInt64(vector.bytes[1]) == number, "\(vector.name)")
        }
    }

    @Test("a valid header decodes to the command listed", arguments: SupervisionVectors.validHeaders)
    func validHeader(_ vector: SupervisionVector) throws {
        let expected = try #require(vector.decoded).supervisorCommand()
        let decoded = try SupervisorCommand(header: vector.bytes)
        #expect(decoded == expected)
    }

    @Test("a canonical header is what SupervisorCommand writes", arguments: SupervisionVectors.validHeaders.filter { $0.canonical == true })
    func canonicalHeader(_ vector: SupervisionVector) throws {
        let command = try #require(vector.decoded).supervisorCommand()
        #expect(command.header == vector.bytes, "wrote \(TestSupport.hex(command.header).prefix(200))")
    }

    @Test("a rejected header throws the code listed", arguments: SupervisionVectors.rejectedHeaders)
    func rejectedHeader(_ vector: SupervisionVector) {
        let error = #expect(throws: WireError.self) {
            try SupervisorCommand(header: vector.bytes)
        }
        #expect(error?.code.rawValue == vector.error, "\(error.map(String.init(describing:)) ?? "no error")")
        #expect(error?.offset != nil)
    }

    @Test("signature frames", arguments: SupervisionVectors.signatures)
    func signature(_ vector: SupervisionVector) {
        let bytes = vector.bytes
        if vector.valid {
            #expect(throws: Never.self) { try bytes.withUnsafeBytes { try SupervisorCommand.checkSignature($0) } }
            #expect(SupervisorCommand.signature == bytes)
            #expect(bytes.withUnsafeBytes { SupervisorCommand.isSignature($0) })
        } else {
            let error = #expect(throws: WireError.self) {
                try bytes.withUnsafeBytes { try SupervisorCommand.checkSignature($0) }
            }
            #expect(error?.code.rawValue == vector.error)
            // Another version of Protocol 2 is still recognised as Protocol 2 (to be rejected
            // with `unsupportedVersion`); anything else is not.
            #expect(bytes.withUnsafeBytes { SupervisorCommand.isSignature($0) } == (vector.error == "unsupportedVersion"))
        }
    }

    @Test("every truncation of a valid header is rejected as truncated", arguments: SupervisionVectors.validHeaders)
    func truncation(_ vector: SupervisionVector) {
        let header = vector.bytes
        for cut in 0..<header.count {
            do {
                _ = try SupervisorCommand(header: Array(header[..<cut]))
                Issue.record("\(vector.name) cut at \(cut) of \(header.count) was accepted")
            } catch {
                #expect(error.code == .truncated, "\(vector.name) cut at \(cut): \(error)")
            }
        }
    }

    @Test("example messages decode frame by frame", arguments: SupervisionVectors.file.messages)
    func exampleMessage(_ message: SupervisionMessage) throws {
        let frames = message.frames.map(TestSupport.bytes(hex:))
        if frames.first == Signature.bytes {
            // A REJECT: a Protocol 1 message.
            #expect(frames.count == 2)
            let envelopes = try EnvelopeDecoder().decode(body: frames[1])
            guard case .reject? = envelopes.first else {
                Issue.record("\(message.name): expected a REJECT, got \(envelopes)")
                return
            }
            return
        }
        // One command, or several (BATCH): the signature, then a header and a payload each.
        let count = try #require(SupervisorCommand.commandCount(frames: frames.count, batches: true), "\(message.name): \(frames.count) frames")
        try frames[0].withUnsafeBytes { try SupervisorCommand.checkSignature($0) }
        for index in 0..<count {
            try checkCommand(header: frames[1 + 2 * index], payload: frames[2 + 2 * index], in: message)
        }
    }

    @Test("a message's frame count says how many commands it holds")
    func commandCounts() {
        #expect(SupervisorCommand.commandCount(frames: 3, batches: false) == 1)
        #expect(SupervisorCommand.commandCount(frames: 5, batches: false) == nil)
        #expect(SupervisorCommand.commandCount(frames: 5, batches: true) == 2)
        #expect(SupervisorCommand.commandCount(frames: 4, batches: true) == nil)
        #expect(SupervisorCommand.commandCount(frames: 2, batches: true) == nil)
        #expect(SupervisorCommand.commandCount(frames: 1 + 2 * SupervisorCommand.commandLimit, batches: true) == SupervisorCommand.commandLimit)
        #expect(SupervisorCommand.commandCount(frames: 3 + 2 * SupervisorCommand.commandLimit, batches: true) == nil)
    }

    private func checkCommand(header: [UInt8], payload: [UInt8], in message: SupervisionMessage) throws {
        let command = try SupervisorCommand(header: header)
        #expect(command.header == header)
        switch command {
        case .request:
            let envelopes = try EnvelopeDecoder().decode(body: payload)
            guard envelopes.count == 1, case .call = envelopes[0] else {
                Issue.record("\(message.name): a REQUEST carries one CALL, got \(envelopes)")
                return
            }
        case .reply:
            let envelopes = try EnvelopeDecoder().decode(body: payload)
            #expect(envelopes.count == 1)
            switch envelopes.first {
            case .return?, .throw?: break
            default: Issue.record("\(message.name): a REPLY carries one RETURN or THROW, got \(envelopes)")
            }
        case .status:
            let status = try MessagePackValue(decoding: payload)
            for key in ["endpoint", "phase", "secure", "workers", "queued", "running", "completed", "clients",
                        "workersLost", "rejected", "unauthorized"] {
                #expect(status[key] != nil, "STATUS payload lacks \(key)")
            }
        default:
            #expect(payload.isEmpty, "\(message.name): only REQUEST, REPLY and STATUS carry a payload")
        }
    }
}

// MARK: Vector file

struct SupervisionVectorFile: Decodable {
    let signature: String
    let commands: [String: UInt64]
    let cases: [SupervisionVector]
    let messages: [SupervisionMessage]
}

struct SupervisionVector: Decodable, CustomTestStringConvertible {
    let name: String
    let frame: String
    let hex: String
    let valid: Bool
    let canonical: Bool?
    let decoded: DecodedCommand?
    let error: String?

    var testDescription: String { name }
    var bytes: [UInt8] { TestSupport.bytes(hex: hex) }
}

struct SupervisionMessage: Decodable, CustomTestStringConvertible {
    let name: String
    let direction: String
    let frames: [String]

    var testDescription: String { name }
}

/// A Protocol 2 header as the vector file spells it.
struct DecodedCommand: Decodable {
    let command: String
    let request_id: UInt64?
    let service: String?
    let flags: UInt64?
    let final: Bool?
    let code: String?
    let message: String?
    let node: String?
    let pid: Int64?
    let services: [String]?
    let host: String?
    let reason: String?
    let now: Bool?
    let credit: UInt64?
    let request_ids: [UInt64]?

    /// The `SupervisorCommand` this entry describes.
    func supervisorCommand() throws -> SupervisorCommand {
        switch command {
        case "REQUEST":
            return .request(id: try need(request_id, "request_id"), service: try need(service, "service"), flags: try need(flags, "flags"))
        case "REPLY":
            return .reply(id: try need(request_id, "request_id"), final: try need(final, "final"))
        case "ERROR":
            return .error(id: try need(request_id, "request_id"), code: try need(code, "code"), message: try need(message, "message"))
        case "CANCEL":
            return .cancel(id: try need(request_id, "request_id"))
        case "READY":
            return .ready(node: try need(node, "node"), pid: try need(pid, "pid"), services: try need(services, "services"), host: try need(host, "host"))
        case "HEARTBEAT":
            return .heartbeat
        case "DISCONNECT":
            return .disconnect(reason: try need(reason, "reason"))
        case "STATUS-QUERY":
            return .statusQuery(id: try need(request_id, "request_id"))
        case "STATUS":
            return .status(id: try need(request_id, "request_id"))
        case "STOP":
            return .stop(id: try need(request_id, "request_id"), now: try need(now, "now"))
        case "DONE":
            return .done(id: try need(request_id, "request_id"))
        case "CREDIT":
            return .credit(try need(credit, "credit"))
        case "STARTED":
            return .started(ids: try need(request_ids, "request_ids"))
        case "WITHDRAW":
            return .withdraw(ids: try need(request_ids, "request_ids"))
        case "WITHDRAWN":
            return .withdrawn(ids: try need(request_ids, "request_ids"))
        case "BATCH":
            return .batch
        default:
            throw MissingVectorField(field: "a known command (got \(command))")
        }
    }
}

enum SupervisionVectors {
    static let file: SupervisionVectorFile = {
        do {
            return try TestSupport.loadJSON(SupervisionVectorFile.self, "2-supervision-vectors.json")
        } catch {
            fatalError("cannot read Protocols/2-supervision-vectors.json: \(error)")
        }
    }()

    static var headers: [SupervisionVector] { file.cases.filter { $0.frame == "header" } }
    static var validHeaders: [SupervisionVector] { headers.filter(\.valid) }
    static var rejectedHeaders: [SupervisionVector] { headers.filter { !$0.valid } }
    static var signatures: [SupervisionVector] { file.cases.filter { $0.frame == "signature" } }
}
