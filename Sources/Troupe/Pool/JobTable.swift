import DequeModule

/// Values by task id, for ids handed out in increasing order: an array from the oldest live
/// id on, so that a lookup is an index, not a hash, however many tasks are queued.
struct JobTable<Value> {
    private var values: Deque<Value?> = []
    /// The id of `values[0]`.
    private var firstID: UInt64 = 1

    /// How many ids from the oldest live one on are kept (live or ended since).
    var span: Int { values.count }

    /// The value for `id`; setting nil removes it.
    subscript(id: UInt64) -> Value? {
        get {
            guard id >= firstID, id - firstID < UInt64(values.count) else { return nil }
            return values[Int(id - firstID)]
        }
        set {
            if values.isEmpty, newValue != nil { firstID = id }
            guard id >= firstID else { return }
            let index = Int(id - firstID)
            if index >= values.count {
                guard newValue != nil else { return }
                // Ids come in order: a gap only holds ids that ended already.
                values.append(contentsOf: repeatElement(nil, count: index - values.count))
                values.append(newValue)
                return
            }
            values[index] = newValue
            if newValue == nil {
                while let first = values.first, first == nil {
                    values.removeFirst()
                    firstID += 1
                }
            }
        }
    }

    /// Removes the value for `id` and returns it.
    @discardableResult
    mutating func removeValue(forKey id: UInt64) -> Value? {
        let value = self[id]
        if value != nil { self[id] = nil }
        return value
    }
}
