import DequeModule

/// How a supervisor tells that a worker took the place of one that was lost, so that its
/// status can show restarts and the last exit per place, as a pool does per position.
///
/// A node agent restarts a dead worker at once, so the new process often joins before the
/// supervisor declares the old one lost. The rule, as far as the supervisor can tell: a worker
/// lost on a host is replaced by the first worker of that host that joined after the lost one
/// was last heard from and replaces nobody yet; if none has, by the next one that joins. A
/// lost worker that joins again under its own node name replaces only itself.
struct WorkerReplacements<Key: Hashable> {
    /// What a worker inherits from the place it took.
    struct Record: Equatable {
        /// How many workers held the place before it.
        var restarts: Int
        /// How the one before it ended.
        var lastExit: String
    }

    private struct Newcomer {
        let key: Key
        let joined: ContinuousClock.Instant
    }

    private struct Vacancy {
        let node: String
        let record: Record
    }

    /// Per host, workers that joined and replace nobody yet, in the order they joined.
    private var newcomers: [String: [Newcomer]] = [:]
    /// Per host, places left by lost workers that no one has taken yet, oldest first.
    private var vacancies: [String: Deque<Vacancy>] = [:]
    /// Per host, the most places kept open; older ones are forgotten.
    private let vacancyLimit = 64

    /// A worker joined.
    /// - Returns: the place it takes, if it fills one, and whether that counts as a restart
    ///   (false when it is the lost worker itself, back).
    mutating func joined(_ key: Key, node: String, host: String, at instant: ContinuousClock.Instant) -> (record: Record, isRestart: Bool)? {
        if let index = vacancies[host]?.firstIndex(where: { $0.node == node }) {
            let vacancy = vacancies[host]!.remove(at: index)
            return (Record(restarts: vacancy.record.restarts - 1, lastExit: vacancy.record.lastExit + ", then joined again"), false)
        }
        if let vacancy = vacancies[host]?.popFirst() {
            return (vacancy.record, true)
        }
        newcomers[host, default: []].append(Newcomer(key: key, joined: instant))
        return nil
    }

    /// A worker was lost.
    /// - Parameters:
    ///   - key: the lost worker.
    ///   - restarts: how many held its place before it.
    ///   - exit: how it ended, such as `pid 42: lost (missed 3 heartbeats)`.
    ///   - lastHeard: when it was last heard from.
    /// - Returns: the worker that already took its place, and what it inherits, if one has.
    mutating func lost(_ key: Key, node: String, host: String, restarts: Int, exit: String,
                       lastHeard: ContinuousClock.Instant) -> (Key, Record)? {
        forget(key, host: host)
        let record = Record(restarts: restarts + 1, lastExit: exit)
        if let index = newcomers[host]?.firstIndex(where: { $0.joined > lastHeard }) {
            let newcomer = newcomers[host]!.remove(at: index)
            return (newcomer.key, record)
        }
        vacancies[host, default: []].append(Vacancy(node: node, record: record))
        if vacancies[host]!.count > vacancyLimit { vacancies[host]!.removeFirst() }
        return nil
    }

    /// A worker left in order (or was lost and is accounted for): it replaces no one any more.
    mutating func forget(_ key: Key, host: String) {
        newcomers[host]?.removeAll { $0.key == key }
        if newcomers[host]?.isEmpty == true { newcomers[host] = nil }
    }
}
