import TroupePlatform
import TroupeWire
import ZeroMQ

/// A peer of a standalone supervisor made of a bare DEALER socket: a worker or client that
/// behaves as the protocol allows but Troupe's own never would (two connections for one
/// node, READY while busy, partial replies, a connection that vanishes mid-wait).
final class RawSupervisorPeer {
    private let socket: Socket
    private let monitor: SocketMonitor
    private var connectedDescriptor: Int32?

    /// Connects to `endpoint` with the routing identity `identity`.
    init(_ context: Context, endpoint: String, identity: String) throws {
        socket = try Socket(context, type: .dealer)
        try socket.set(.linger, .zero)
        try socket.set(.routingID, Array(identity.utf8))
        monitor = try SocketMonitor(monitoring: socket, events: [.connected])
        try socket.connect(endpoint)
    }

    /// Sends a Protocol 2 command.
    func send(_ command: SupervisorCommand, payload: [UInt8] = []) throws {
        _ = try socket.send(multipart: [SupervisorCommand.signature, command.header, payload])
    }

    /// Sends several Protocol 2 commands in one message (after BATCH): the signature, then a
    /// header and a payload frame for each.
    func send(batch commands: [(SupervisorCommand, payload: [UInt8])]) throws {
        _ = try socket.send(multipart: [SupervisorCommand.signature] + commands.flatMap { [$0.0.header, $0.payload] })
    }

    /// The commands of the next Protocol 2 message within `timeout` (one, or several from a
    /// supervisor that answered BATCH), lone HEARTBEATs skipped.
    func receiveCommands(within timeout: Duration = .seconds(5)) -> [(SupervisorCommand, payload: [UInt8])]? {
        let deadline = ContinuousClock.now + timeout
        let poller = Poller()
        _ = poller.add(socket, events: .readable)
        while ContinuousClock.now < deadline {
            guard (try? poller.poll(timeout: .milliseconds(50))) ?? 0 > 0,
                  let frames = (try? socket.receiveMultipart(dontWait: true)) ?? nil else { continue }
            let bytes = frames.map(\.bytes)
            guard bytes.first == SupervisorCommand.signature,
                  let count = SupervisorCommand.commandCount(frames: bytes.count, batches: true) else { continue }
            let commands = (0..<count).compactMap { index -> (SupervisorCommand, payload: [UInt8])? in
                (try? SupervisorCommand(header: bytes[1 + 2 * index])).map { ($0, bytes[2 + 2 * index]) }
            }
            if commands.count == 1, commands[0].0 == .heartbeat { continue }
            return commands
        }
        return nil
    }

    /// Sends Protocol 1 envelopes in one message.
    func send(_ envelopes: [Envelope]) throws {
        var body = EnvelopeWriter()
        for envelope in envelopes { body.append(envelope) }
        _ = try socket.send(multipart: [Signature.bytes, body.bytes])
    }

    /// A STATE operation whose arguments are encoded here.
    func state(_ callID: UInt64, _ container: String, _ operation: String, _ arguments: [MessagePackValue] = []) throws {
        try send([.state(Envelope.StateOperation(callID: callID, container: container, operation: operation,
                                                  arguments: arguments.map(\.encoded)))])
    }

    /// The next message within `timeout`, HEARTBEATs skipped: a Protocol 2 command with its
    /// payload, or Protocol 1 envelopes.
    func receive(within timeout: Duration = .seconds(5)) -> Received? {
        let deadline = ContinuousClock.now + timeout
        let poller = Poller()
        _ = poller.add(socket, events: .readable)
        while ContinuousClock.now < deadline {
            guard (try? poller.poll(timeout: .milliseconds(50))) ?? 0 > 0,
                  let frames = (try? socket.receiveMultipart(dontWait: true)) ?? nil else { continue }
            let bytes = frames.map(\.bytes)
            if bytes.count == 3, bytes[0] == SupervisorCommand.signature,
               let command = try? bytes[1].withUnsafeBytes({ try SupervisorCommand(header: $0) }) {
                if command == .heartbeat { continue }
                return .command(command, payload: bytes[2])
            }
            if bytes.count == 2, bytes[0] == Signature.bytes,
               let envelopes = try? bytes[1].withUnsafeBytes({ try EnvelopeDecoder().decode(body: $0) }) {
                return .envelopes(envelopes)
            }
            return .other(bytes)
        }
        return nil
    }

    /// What ``receive(within:)`` got.
    enum Received {
        case command(SupervisorCommand, payload: [UInt8])
        case envelopes([Envelope])
        case other([[UInt8]])

        /// The command, when it is a Protocol 2 message.
        var command: SupervisorCommand? {
            if case .command(let command, _) = self { return command }
            return nil
        }

        /// The envelopes, when it is a Protocol 1 message.
        var envelopes: [Envelope]? {
            if case .envelopes(let envelopes) = self { return envelopes }
            return nil
        }
    }

    /// The local TCP port of the connection, once it is made.
    func localPort() -> Int? {
        if connectedDescriptor == nil, let event = try? monitor.next(of: .connected, timeout: .seconds(5)) {
            connectedDescriptor = Int32(event.value)
        }
        guard let descriptor = connectedDescriptor else { return nil }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return found == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// Closes the connection at once.
    func close() {
        monitor.close()
        socket.close()
    }

    /// Whether the TCP connection from local port `port` to `serverPort` on 127.0.0.1 is
    /// still open on the server's side (read from `/proc/net/tcp`).
    static func serverStillHolds(connectionFrom port: Int, to serverPort: Int) -> Bool {
        let descriptor = open("/proc/net/tcp", O_RDONLY)
        guard descriptor >= 0 else { return false }
        defer { Glibc.close(descriptor) }
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        let table = String(decoding: bytes, as: UTF8.self)
        func hex(_ value: Int) -> String {
            let digits = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
        let local = hex(serverPort), remote = hex(port)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3 else { continue }
            // local_address rem_address st: "0100007F:PORT"; 01 ESTABLISHED, 08 CLOSE_WAIT.
            if fields[1].hasSuffix(":" + local), fields[2].hasSuffix(":" + remote), fields[3] == "01" || fields[3] == "08" {
                return true
            }
        }
        return false
    }
}
