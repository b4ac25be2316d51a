import Testing
@_spi(Testing) @testable import Troupe
import TroupeWire

/// Batching for one peer never builds a body past the message limit, and keeps the order.
struct MailboxOutboxTests {
    @Test func aBatchThatWouldPassTheLimitStartsANewBody() throws {
        let outbox = MailboxOutbox(bodyLimit: 1000)
        let peer = PeerAddress.routed(Array("w".utf8))
        var argument = MessagePackWriter()
        argument.writeBinary([UInt8](repeating: 7, count: 400))
        for id in 1...5 {
            let call = Envelope.Call(callID: UInt64(id), actor: 1, target: "t", arguments: [argument.bytes])
            _ = outbox.append(.call(call), to: peer)
        }
        _ = outbox.append(.heartbeat, to: PeerAddress.routed(Array("other".utf8)))
        let batch = outbox.take()
        let bodies = try #require(batch.bodies[peer])
        #expect(bodies.count == 3)
        #expect(bodies.allSatisfy { $0.writer.count <= 1000 })
        let ids = try bodies.flatMap { try EnvelopeDecoder().decode(body: $0.bytes) }.compactMap { envelope -> UInt64? in
            if case .call(let call) = envelope { return call.callID } else { return nil }
        }
        #expect(ids == [1, 2, 3, 4, 5])
        #expect(batch.bodies[PeerAddress.routed(Array("other".utf8))]?.count == 1)
    }
}
