import TroupePlatform
import CTroupeShims
import Logging
import Synchronization
@_spi(Testing) @testable import Troupe
import TroupeWire

/// A transport that keeps every envelope sent through it and delivers nothing: to learn
/// what a distributed call puts on the wire (its target identifier, say).
final class RecordingTransport: MessageTransport {
    let executor: MailboxExecutor
    let boundEndpoint: String? = nil
    private let sent = Mutex<[Envelope]>([])

    init() {
        let descriptor = troupe_eventfd()
        executor = MailboxExecutor(name: "troupe-record", wakeDescriptor: descriptor, driver: IdleDriver(wakeDescriptor: descriptor))
    }

    var envelopes: [Envelope] { sent.withLock { $0 } }

    func start(delegate: any TransportDelegate) { executor.start() }
    @discardableResult
    func send(_ envelope: Envelope, to peer: PeerAddress) -> UInt64 {
        sent.withLock { $0.append(envelope); return UInt64($0.count) }
    }
    func send(frames: [[UInt8]], to endpoint: String) {}
    func connect(to endpoint: String, curve: CurveClientSettings?) {}
    func reconnect(to endpoint: String) {}
    func beginFastTicks() {}
    func endFastTicks() {}
    func shutdown() {}

    private struct IdleDriver: MailboxDriver {
        let wakeDescriptor: Int32
        mutating func turn(waitMilliseconds: Int) -> Bool {
            var descriptor = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, Int32(waitMilliseconds < 0 ? 50 : waitMilliseconds))
            var count: UInt64 = 0
            if descriptor.revents != 0 { _ = read(wakeDescriptor, &count, 8) }
            return true
        }
        mutating func flush() {}
    }
}

extension DistributedActor where ActorSystem == TroupeActorSystem {
    /// The target identifier of the distributed function `body` calls on this actor's type:
    /// the call is made on a reference whose messages go nowhere, and taken from the wire.
    static func recordedTarget(_ body: @escaping @Sendable (Self) async throws -> Void) async throws -> String {
        let transport = RecordingTransport()
        let system = TroupeActorSystem(node: "recorder", transport: transport, logger: Logger(label: "test"),
                                       spawner: ProcessWorkerSpawner())
        let reference = try Self.resolve(id: TroupeActorID(node: "elsewhere", number: 1, endpoint: "ipc:///nowhere"), using: system)
        let call = Task { try await body(reference) }
        defer { call.cancel() }
        for _ in 0..<500 {
            for case .call(let sent) in transport.envelopes { return sent.target }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TroupeError(.timeout, "the body made no call")
    }
}
