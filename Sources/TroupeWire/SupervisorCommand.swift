/// A command of Protocol 2, between workers, a standalone supervisor and its clients.
///
/// A Protocol 2 message is three frames (after any routing-id frames): the signature
/// ``signature`` (`54 52 53 01`, "TRS" and version 1), a header — a MessagePack array whose
/// first element is the command number — and a payload, opaque to the supervisor: for
/// REQUEST and REPLY, a Protocol 1 body (a CALL, or its RETURN or THROW); for STATUS, a
/// MessagePack map; otherwise empty. Between peers that agreed to it (BATCH), a message may
/// hold several commands: the signature, then a header and a payload frame for each. See
/// `Protocols/2-supervision.md`.
public enum SupervisorCommand: Sendable, Equatable {
    /// 64 REQUEST [64, request_id, service, flags]: run the CALL in the payload on a worker
    /// serving `service` (client → supervisor, supervisor → worker with its own id).
    case request(id: UInt64, service: String, flags: UInt64)
    /// 65 REPLY [65, request_id, final]: the outcome in the payload; `final` false for a
    /// partial reply, more to come (worker → supervisor → client).
    case reply(id: UInt64, final: Bool)
    /// 66 ERROR [66, request_id, code, message]: the request failed before or without an
    /// outcome from a worker (supervisor → client).
    case error(id: UInt64, code: String, message: String)
    /// 67 CANCEL [67, request_id]: the client no longer wants the outcome (client →
    /// supervisor → worker).
    case cancel(id: UInt64)
    /// 68 READY [68, node, pid, services, host]: a worker joins (worker → supervisor).
    case ready(node: String, pid: Int64, services: [String], host: String)
    /// 69 HEARTBEAT [69]: the sender is alive (every direction).
    case heartbeat
    /// 70 DISCONNECT [70, reason]: the sender is going away, or tells the receiver to.
    case disconnect(reason: String)
    /// 71 STATUS-QUERY [71, request_id]: ask the supervisor for its status (client).
    case statusQuery(id: UInt64)
    /// 72 STATUS [72, request_id]: the status, a MessagePack map in the payload.
    case status(id: UInt64)
    /// 73 STOP [73, request_id, now]: close the deployment (`now`: terminate it) (client).
    case stop(id: UInt64, now: Bool)
    /// 74 DONE [74, request_id]: acknowledges a STOP (supervisor → client).
    case done(id: UInt64)
    /// 75 CREDIT [75, credit]: from a worker, how many requests it may hold at once; from the
    /// supervisor, the credit granted, after which the worker reports the requests it starts.
    case credit(UInt64)
    /// 76 STARTED [76, request_ids]: the worker has started these requests, in this order
    /// (worker → supervisor).
    case started(ids: [UInt64])
    /// 77 WITHDRAW [77, request_ids]: give these requests back if they have not started
    /// (supervisor → worker).
    case withdraw(ids: [UInt64])
    /// 78 WITHDRAWN [78, request_ids]: these requests were given back, not started; the worker
    /// no longer holds them (worker → supervisor).
    case withdrawn(ids: [UInt64])
    /// 79 BATCH [79]: the sender accepts messages of several commands from the receiver
    /// (peer → supervisor: the offer; supervisor → peer: the answer, after which the peer
    /// may send such messages too). See ``commandLimit``.
    case batch

    /// The signature frame of Protocol 2: "TRS" and the version.
    public static let signature: [UInt8] = [0x54, 0x52, 0x53, 0x01]

    /// The most commands a sender puts in one message of several (the batch extension,
    /// BATCH): a message is the signature and then, for each command, its header frame and
    /// its payload frame.
    public static let commandLimit = 256

    /// The number of commands in a Protocol 2 message of `frameCount` frames (after any
    /// routing-id frames), or nil when that is not a valid count: 3 frames hold one command,
    /// and each further pair (header, payload) one more.
    /// - Parameters:
    ///   - frameCount: the message's frames, the signature included.
    ///   - batches: whether the receiver takes messages of several commands from this peer.
    public static func commandCount(frames frameCount: Int, batches: Bool) -> Int? {
        guard frameCount >= 3, frameCount % 2 == 1 else { return nil }
        let count = (frameCount - 1) / 2
        return count == 1 || (batches && count <= commandLimit) ? count : nil
    }

    /// Flag bit of REQUEST: the work may run again on another worker if its worker is lost.
    public static let retryableFlag: UInt64 = 1

    /// Whether a first frame is Protocol 2's signature (any version, for error reporting).
    /// - Parameter frame: the first frame of a message.
    /// - Returns: true when it starts `TRS` and is 4 bytes long, whatever its version byte.
    public static func isSignature(_ frame: UnsafeRawBufferPointer) -> Bool {
        frame.count == 4 && frame[0] == 0x54 && frame[1] == 0x52 && frame[2] == 0x53
    }

    /// Checks a Protocol 2 signature frame.
    /// - Parameter frame: the first frame of a message.
    /// - Throws: `badSignature`, or `unsupportedVersion` for another version of Protocol 2.
    public static func checkSignature(_ frame: UnsafeRawBufferPointer) throws(WireError) {
        guard isSignature(frame) else {
            throw WireError(.badSignature, "signature frame is not 54 52 53 <version>: the peer does not speak Troupe's Protocol 2", offset: 0)
        }
        guard frame[3] == 0x01 else {
            throw WireError(.unsupportedVersion, "Protocol 2 version \(frame[3]) is not supported; this peer speaks version 1", offset: 3)
        }
    }

    /// The header frame.
    public var header: [UInt8] {
        var writer = MessagePackWriter(capacity: 32)
        switch self {
        case .request(let id, let service, let flags):
            writer.writeArrayHeader(4); writer.writeUInt(64); writer.writeUInt(id); writer.writeString(service); writer.writeUInt(flags)
        case .reply(let id, let final):
            writer.writeArrayHeader(3); writer.writeUInt(65); writer.writeUInt(id); writer.writeBool(final)
        case .error(let id, let code, let message):
            writer.writeArrayHeader(4); writer.writeUInt(66); writer.writeUInt(id); writer.writeString(code); writer.writeString(message)
        case .cancel(let id):
            writer.writeArrayHeader(2); writer.writeUInt(67); writer.writeUInt(id)
        case .ready(let node, let pid, let services, let host):
            writer.writeArrayHeader(5); writer.writeUInt(68); writer.writeString(node); writer.writeInt(pid)
            writer.writeArrayHeader(services.count)
            for service in services { writer.writeString(service) }
            writer.writeString(host)
        case .heartbeat:
            writer.writeArrayHeader(1); writer.writeUInt(69)
        case .disconnect(let reason):
            writer.writeArrayHeader(2); writer.writeUInt(70); writer.writeString(reason)
        case .statusQuery(let id):
            writer.writeArrayHeader(2); writer.writeUInt(71); writer.writeUInt(id)
        case .status(let id):
            writer.writeArrayHeader(2); writer.writeUInt(72); writer.writeUInt(id)
        case .stop(let id, let now):
            writer.writeArrayHeader(3); writer.writeUInt(73); writer.writeUInt(id); writer.writeBool(now)
        case .done(let id):
            writer.writeArrayHeader(2); writer.writeUInt(74); writer.writeUInt(id)
        case .credit(let credit):
            writer.writeArrayHeader(2); writer.writeUInt(75); writer.writeUInt(credit)
        case .started(let ids):
            Self.write(76, ids, to: &writer)
        case .withdraw(let ids):
            Self.write(77, ids, to: &writer)
        case .withdrawn(let ids):
            Self.write(78, ids, to: &writer)
        case .batch:
            writer.writeArrayHeader(1); writer.writeUInt(79)
        }
        return writer.bytes
    }

    private static func write(_ command: UInt64, _ ids: [UInt64], to writer: inout MessagePackWriter) {
        writer.writeArrayHeader(2); writer.writeUInt(command)
        writer.writeArrayHeader(ids.count)
        for id in ids { writer.writeUInt(id) }
    }

    private static func readIDs(_ reader: inout MessagePackReader, _ name: String) throws(WireError) -> [UInt64] {
        let count = try reader.readArrayHeader()
        guard count <= reader.remainingCount else { throw WireError(.truncated, "\(name) lists more request ids than it holds", offset: reader.position) }
        var ids: [UInt64] = []
        ids.reserveCapacity(count)
        for _ in 0..<count { ids.append(try reader.readUInt()) }
        return ids
    }

    /// Decodes a header frame.
    /// - Parameter header: the header frame's bytes.
    /// - Throws: `unknownKind` for an unknown command, `malformed` for wrong fields,
    ///   `truncated` or `trailingBytes` for a frame of the wrong length.
    public init(header: UnsafeRawBufferPointer) throws(WireError) {
        var reader = MessagePackReader(header, maximumDepth: 4)
        let count = try reader.readArrayHeader()
        guard count >= 1 else { throw WireError(.malformed, "a Protocol 2 header is an array starting with the command", offset: 0) }
        let command = try reader.readUInt()
        func expect(_ arity: Int, _ name: String) throws(WireError) {
            guard count == arity else {
                throw WireError(.malformed, "\(name) has \(arity) header fields, not \(count)", offset: 0)
            }
        }
        switch command {
        case 64:
            try expect(4, "REQUEST")
            self = .request(id: try reader.readUInt(), service: try reader.readString(), flags: try reader.readUInt())
        case 65:
            try expect(3, "REPLY")
            self = .reply(id: try reader.readUInt(), final: try reader.readBool())
        case 66:
            try expect(4, "ERROR")
            self = .error(id: try reader.readUInt(), code: try reader.readString(), message: try reader.readString())
        case 67:
            try expect(2, "CANCEL")
            self = .cancel(id: try reader.readUInt())
        case 68:
            try expect(5, "READY")
            let node = try reader.readString()
            let pid = try reader.readInt()
            let serviceCount = try reader.readArrayHeader()
            guard serviceCount <= reader.remainingCount else { throw WireError(.truncated, "READY lists more services than it holds", offset: reader.position) }
            var services: [String] = []
            for _ in 0..<serviceCount { services.append(try reader.readString()) }
            self = .ready(node: node, pid: pid, services: services, host: try reader.readString())
        case 69:
            try expect(1, "HEARTBEAT")
            self = .heartbeat
        case 70:
            try expect(2, "DISCONNECT")
            self = .disconnect(reason: try reader.readString())
        case 71:
            try expect(2, "STATUS-QUERY")
            self = .statusQuery(id: try reader.readUInt())
        case 72:
            try expect(2, "STATUS")
            self = .status(id: try reader.readUInt())
        case 73:
            try expect(3, "STOP")
            self = .stop(id: try reader.readUInt(), now: try reader.readBool())
        case 74:
            try expect(2, "DONE")
            self = .done(id: try reader.readUInt())
        case 75:
            try expect(2, "CREDIT")
            self = .credit(try reader.readUInt())
        case 76:
            try expect(2, "STARTED")
            self = .started(ids: try Self.readIDs(&reader, "STARTED"))
        case 77:
            try expect(2, "WITHDRAW")
            self = .withdraw(ids: try Self.readIDs(&reader, "WITHDRAW"))
        case 78:
            try expect(2, "WITHDRAWN")
            self = .withdrawn(ids: try Self.readIDs(&reader, "WITHDRAWN"))
        case 79:
            try expect(1, "BATCH")
            self = .batch
        default:
            throw WireError(.unknownKind, "unknown Protocol 2 command \(command)", offset: 1)
        }
        guard reader.isAtEnd else {
            throw WireError(.trailingBytes, "\(reader.remainingCount) bytes after the header", offset: reader.position)
        }
    }

    /// Decodes a header frame.
    /// - Parameter header: the header frame's bytes.
    /// - Throws: as ``init(header:)-(UnsafeRawBufferPointer)``.
    public init(header: [UInt8]) throws(WireError) {
        let result: Result<SupervisorCommand, WireError> = header.withUnsafeBytes { buffer in
            do throws(WireError) { return .success(try SupervisorCommand(header: buffer)) } catch { return .failure(error) }
        }
        self = try result.get()
    }
}
