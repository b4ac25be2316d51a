import Troupe

/// The latest status, as JSON, read at most once per interval however many pages watch it.
actor StatusFeed {
    /// One reading: its number (1, 2, ...), its JSON, and when it was read.
    struct Reading: Sendable {
        let sequence: Int
        let json: String
        let time: ContinuousClock.Instant
    }

    private let interval: Duration
    private let source: @Sendable () async throws -> BrokerStatus
    private var latest: Reading?

    init(interval: Duration, source: @escaping @Sendable () async throws -> BrokerStatus) {
        self.interval = interval
        self.source = source
    }

    /// The latest reading, read now when the last one is older than the interval.
    func current() async throws -> Reading {
        if let latest, ContinuousClock.now - latest.time < interval { return latest }
        return try await read()
    }

    /// The first reading after `sequence`: it waits until the last one is an interval old.
    func next(after sequence: Int) async throws -> Reading {
        while true {
            if let latest, latest.sequence > sequence { return latest }
            if let latest {
                try await Task.sleep(until: latest.time + interval, clock: .continuous)
                // Another watcher may have read it meanwhile.
                if let fresh = self.latest, fresh.sequence > sequence { return fresh }
            }
            _ = try await read()
        }
    }

    private func read() async throws -> Reading {
        let status = try await source()
        let reading = Reading(sequence: (latest?.sequence ?? 0) + 1, json: try StatusJSON.encode(status), time: .now)
        latest = reading
        return reading
    }
}
