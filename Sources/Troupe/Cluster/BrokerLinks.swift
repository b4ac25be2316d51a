import Synchronization

/// This process's links to standalone supervisors, by endpoint.
final class BrokerLinks: Sendable {
    private let links = Mutex<[String: BrokerLink]>([:])

    /// The link to `endpoint`, made with `role` if there is none yet.
    /// - Returns: the link, and whether it was made now (it must then be started).
    func link(for endpoint: String, role: BrokerLink.Role) -> (BrokerLink, created: Bool) {
        links.withLock { links in
            if let existing = links[endpoint] { return (existing, false) }
            let link = BrokerLink(endpoint: endpoint, role: role)
            links[endpoint] = link
            return (link, true)
        }
    }

    /// Every link.
    var all: [BrokerLink] {
        links.withLock { Array($0.values) }
    }

    /// The link to `endpoint`, if there is one.
    func link(for endpoint: String) -> BrokerLink? {
        links.withLock { $0[endpoint] }
    }

    /// Sends heartbeats and notices silence on every link.
    func tick(now: ContinuousClock.Instant, system: TroupeActorSystem) {
        for link in links.withLock({ Array($0.values) }) { link.tick(now: now, system: system) }
    }
}
