import Troupe

/// Where an HTTP endpoint of Troupe's listens: a host and a port, written `HOST:PORT`
/// (`127.0.0.1:8265`, `[::1]:8265`, `localhost:8265`; port 0 picks a free one).
///
/// Both the dashboard and the metrics endpoint show the deployment without authentication,
/// so an address other hosts can reach must be asked for explicitly.
public struct HTTPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host or IP address to bind.
    public var host: String
    /// The TCP port; 0 for a free one.
    public var port: Int

    /// Parses `HOST:PORT`.
    /// - Parameter text: such as `127.0.0.1:8265` or `[::1]:8265`.
    /// - Throws: `TroupeError` `.invalidArgument` when it is not `HOST:PORT`.
    public init(_ text: String) throws {
        let invalid = TroupeError(.invalidArgument, "'\(text)' is not HOST:PORT: write it as 127.0.0.1:8265",
                                  context: ["address": text])
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { throw invalid }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("/") else { throw invalid }
        self.host = host
        self.port = port
    }

    /// Whether only this host can reach the address: `127.0.0.0/8`, `::1` or `localhost`.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `HOST:PORT`, with an IPv6 host in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Checks that the address is a loopback one, unless `allowPublic`.
    /// - Parameters:
    ///   - allowPublic: whether the caller asked for an address other hosts can reach.
    ///   - what: what would listen there, such as "the dashboard".
    /// - Throws: `TroupeError` `.invalidArgument` for a reachable address not asked for.
    func checkExposure(allowPublic: Bool, of what: String) throws(TroupeError) {
        guard !isLoopback && !allowPublic else { return }
        throw TroupeError(.invalidArgument,
                          "\(what) would listen on \(self), which other hosts can reach, and it has no authentication: "
                              + "listen on 127.0.0.1:\(port) (and reach it through an SSH tunnel), or pass allowPublic: true",
                          context: ["address": description])
    }
}
