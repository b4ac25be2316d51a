/// What a peer admitted with a CURVE key may do at a standalone supervisor.
///
/// ```swift
/// var allowList = KeyAllowList()
/// allowList.allow(try KeyFiles.publicKeys(in: "keys/workers"), as: .worker)
/// allowList.allow(try KeyFiles.publicKeys(in: "keys/clients"), as: .client)
/// allowList.allow(try KeyFiles.publicKeys(in: "keys/admins"), as: [.client, .stop])
/// ```
public struct KeyRoles: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The raw bits.
    public let rawValue: UInt8

    /// Creates roles from their raw bits.
    /// - Parameter rawValue: the bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// May register as a worker (READY) and answer the requests it is handed.
    public static let worker = KeyRoles(rawValue: 1 << 0)
    /// May submit work (REQUEST, CANCEL).
    public static let client = KeyRoles(rawValue: 1 << 1)
    /// May stop the deployment (STOP).
    public static let stop = KeyRoles(rawValue: 1 << 2)
    /// Every role: what an insecure supervisor grants every peer.
    public static let all: KeyRoles = [.worker, .client, .stop]

    /// The roles' names, such as `worker, client`.
    public var description: String {
        let names = [(KeyRoles.worker, "worker"), (.client, "client"), (.stop, "stop")].filter { contains($0.0) }.map(\.1)
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}

/// The keys a standalone supervisor admits, each with what it may do. Every admitted key
/// may ask for the status; workers and clients may use shared state.
public struct KeyAllowList: Sendable, Hashable {
    /// The roles of each admitted public key (Z85, 40 characters).
    public private(set) var roles: [String: KeyRoles] = [:]

    /// An empty list: nobody is admitted.
    public init() {}

    /// A list where each of `keys` may do everything.
    /// - Parameter keys: public keys (Z85).
    public init(everything keys: Set<String>) {
        allow(keys, as: .all)
    }

    /// Admits `keys` with `roles`, added to any roles they already have.
    /// - Parameters:
    ///   - keys: public keys (Z85).
    ///   - roles: what they may do.
    public mutating func allow(_ keys: Set<String>, as roles: KeyRoles) {
        for key in keys { self.roles[key, default: []].formUnion(roles) }
    }

    /// The roles of `key`, or nil when it is not admitted.
    /// - Parameter key: a public key (Z85).
    /// - Returns: its roles.
    public func roles(of key: String) -> KeyRoles? { roles[key] }
}
