import DequeModule

/// Values by task id, for ids handed out in increasing order: an array from the oldest live
/// id on, so that a lookup is an index, not a hash, however many tasks are queued.
struct JobTable<Value> {
    private var values: Deque<Value?> = []
    /// The id of `values[0]`.
    private var firstID: UInt64 = 1

    /// How many ids from the oldest live one on are kept (live or ended since).
    var span: Int { values.count }

    /// The value for `id`; setting nil removes it. Changed in place when it is there (no copy
    /// of the value, whose references would otherwise be retained and released).
    subscript(id: UInt64) -> Value? {
        get {
            guard id >= firstID, id - firstID < UInt64(values.count) else { return nil }
            return values[Int(id - firstID)]
        }
        set {
            store(newValue, at: id)
        }
        _modify {
            if id >= firstID, id - firstID < UInt64(values.count) {
                let index = Int(id - firstID)
                yield &values[index]
                if values[index] == nil { dropEndedFront() }
            } else {
                var value: Value? = nil
                yield &value
                if value != nil { store(value, at: id) }
            }
        }
    }

    private mutating func store(_ newValue: Value?, at id: UInt64) {
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
        if newValue == nil { dropEndedFront() }
    }

    /// Drops the ended ids at the front.
    private mutating func dropEndedFront() {
        while let first = values.first, first == nil {
            values.removeFirst()
            firstID += 1
        }
    }

    /// Removes the value for `id` and returns it, moved out rather than copied.
    @discardableResult
    mutating func removeValue(forKey id: UInt64) -> Value? {
        guard id >= firstID, id - firstID < UInt64(values.count) else { return nil }
        let value = values[Int(id - firstID)].take()
        if value != nil { dropEndedFront() }
        return value
    }
}
