/// A lock held by a shared-state owner: Python's `Manager().Lock()`.
///
/// When the process holding it dies, the lock is released, so a crashed worker never
/// leaves it locked for ever.
/// ```swift
/// try await lock.withLock { try await counter.set(try await counter.get() + 1) }
/// ```
public struct SharedLock: Sendable, Codable {
    let client: StateClient
    private let token: UInt64

    init(client: StateClient) {
        self.client = client
        self.token = UInt64.random(in: 1...UInt64.max)
    }

    /// Decodes a proxy, as a worker does with an argument: it reaches the same lock, and is a
    /// holder of its own (a lock taken through one proxy is not held by another).
    /// - Parameter decoder: the decoder of the received value.
    /// - Throws: a decoding error when the value is not a proxy reference.
    public init(from decoder: any Decoder) throws {
        client = try StateClient.decode(from: decoder)
        token = UInt64.random(in: 1...UInt64.max)
    }

    /// Encodes the proxy: the container's reference, never its contents.
    /// - Parameter encoder: the encoder.
    /// - Throws: an encoding error from `encoder`.
    public func encode(to encoder: any Encoder) throws { try client.encode(to: encoder) }

    /// Where the lock lives.
    public var reference: SharedStateReference { client.reference }

    /// Takes the lock for this proxy.
    /// - Parameter timeout: how long to wait; nil waits as long as it takes.
    /// - Returns: whether the lock was taken (false when the timeout passed).
    /// - Throws: ``TroupeError`` `.ownerUnavailable` when the owner does not answer in time.
    @discardableResult
    public func acquire(timeout: Duration? = nil) async throws -> Bool {
        try await acquire(token: token, timeout: timeout)
    }

    /// Releases the lock taken by ``acquire(timeout:)``.
    /// - Throws: ``TroupeError`` `.lockNotHeld` when this proxy does not hold it.
    public func release() async throws {
        _ = try await client.perform("release", [client.encode(token)])
    }

    /// Runs `body` while holding the lock, and releases it on every path.
    /// - Parameters:
    ///   - timeout: how long to wait for the lock; nil waits as long as it takes.
    ///   - isolation: the caller's actor, inherited, so that `body` may be a closure of the
    ///     caller's and need not be `Sendable`.
    ///   - body: the work to do while holding the lock.
    /// - Returns: what `body` returned.
    /// - Throws: ``TroupeError`` `.timeout` when the lock was not taken in time, or `body`'s error.
    public func withLock<R: Sendable>(timeout: Duration? = nil, isolation: isolated (any Actor)? = #isolation,
                                      _ body: () async throws -> R) async throws -> R {
        let token = UInt64.random(in: 1...UInt64.max)
        guard try await acquire(token: token, timeout: timeout) else {
            throw TroupeError(.timeout, "the lock \(reference) was not free within \(timeout.map { "\($0)" } ?? "")")
        }
        do {
            let result = try await body()
            _ = try await client.perform("release", [client.encode(token)])
            return result
        } catch {
            _ = try? await client.perform("release", [client.encode(token)])
            throw error
        }
    }

    private func acquire(token: UInt64, timeout: Duration?) async throws -> Bool {
        let seconds = timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        let extraWait = timeout ?? .seconds(365 * 24 * 3600)
        return try await client.perform("acquire", [client.encode(token), client.encode(seconds)], as: Bool.self, extraWait: extraWait)
    }
}
