import Metrics
import Synchronization

/// Counters of one name and one label, made once per label value. After `limit` values, any
/// new value is counted as `other`: label values come from peers, and must stay few.
final class LabeledCounters: Sendable {
    private let label: String
    private let dimension: String
    private let limit: Int
    private let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])

    init(label: String, dimension: String, limit: Int = 32, factory: any MetricsFactory) {
        self.label = label
        self.dimension = dimension
        self.limit = limit
        self.factory = factory
    }

    func counter(for value: String) -> Counter {
        counters.withLock { counters in
            if let counter = counters[value] { return counter }
            let key = counters.count < limit ? value : "other"
            if let other = counters[key] { return other }
            let counter = Counter(label: label, dimensions: [(dimension, key)], factory: factory)
            counters[key] = counter
            return counter
        }
    }
}
