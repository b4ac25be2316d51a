import TroupeWire

/// Decodes a call's result on the caller's side, with the actor system at hand for results
/// that hold actor references or shared-state proxies.
enum ResultDecoding {
    static func decode<R: Decodable>(_ type: R.Type, from bytes: [UInt8], system: TroupeActorSystem) throws -> R {
        try system.decoder.decode(R.self, from: bytes)
    }
}
