extension Pool {
    /// Python's default chunk size: the items spread over four chunks per worker.
    func automaticChunkSize(for count: Int) -> Int {
        guard count > 0 else { return 1 }
        let chunks = processes * 4
        return (count + chunks - 1) / chunks
    }

    /// Queues one task per item, the items of a chunk together: a chunk goes to one worker,
    /// which holds its calls as they come (their messages travel batched).
    func submitChunks<Item: Sendable, R: Sendable>(
        _ items: [Item], chunksize: Int, retryable: Bool, delivery: MapCollector<R>.Delivery,
        progress: ProgressTracker?, _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> MapCollector<R> {
        guard chunksize >= 1 else {
            throw TroupeError(.invalidArgument, "chunksize must be at least 1, not \(chunksize)")
        }
        let collector = MapCollector<R>(count: items.count, delivery: delivery, progress: progress)
        let firstGroup = core.reserveGroups((items.count + chunksize - 1) / chunksize)
        let lanes = self.lanes
        for (index, item) in items.enumerated() {
            let group = chunksize > 1 ? firstGroup + UInt64(index / chunksize) : nil
            try core.submit(retryable: retryable, group: group, PoolCore.JobEntry(execute: { position in
                if delivery == .whole && collector.hasFailed { return nil }
                do {
                    try Task.checkCancellation()
                    collector.set(index, .success(try await body(lanes[position], item)))
                    return nil
                } catch {
                    return error
                }
            }, fail: { error in
                collector.set(index, .failure(error))
            }))
        }
        return collector
    }

    /// Applies `body` to every item in parallel and returns the results in input order:
    /// Python's `map`. The first error ends the map (items not yet started are skipped).
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once; by default, Python's choice
    ///     (the items spread over four chunks per worker).
    ///   - retryable: whether a chunk may run again if its worker dies mid-chunk.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: one result per item, in order.
    /// - Throws: the first error of the work, or ``TroupeError`` `.closed` after `close()`, or
    ///   `.invalidArgument` when `chunksize` is below 1.
    public func map<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) async throws -> [R] {
        try await mapAsync(items, chunksize: chunksize, retryable: retryable, progress: progress, body).get()
    }

    /// Queues a map and returns at once with its future results: Python's `map_async`.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once; by default, Python's choice
    ///     (the items spread over four chunks per worker).
    ///   - retryable: whether a chunk may run again if its worker dies mid-chunk.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: the future list of results, in input order; it fails with the first error
    ///   of the work.
    /// - Throws: ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1.
    public func mapAsync<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> AsyncResult<[R]> {
        let all = Array(items)
        return try submitChunks(all, chunksize: chunksize ?? automaticChunkSize(for: all.count),
                                retryable: retryable, delivery: .whole, progress: progress, body).whole
    }

    /// Applies `body` to every item in parallel and yields the results in input order as
    /// they become ready: Python's `imap`. Nothing is collected first.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once (default 1, as in Python).
    ///   - retryable: whether a chunk may run again if its worker dies mid-chunk.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: the results, as an `AsyncSequence`; iterating throws at an item whose work
    ///   failed.
    /// - Throws: ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1.
    public func imap<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int = 1,
        retryable: Bool = false,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> PoolResults<R> {
        PoolResults(collector: try submitChunks(Array(items), chunksize: chunksize, retryable: retryable,
                                                delivery: .ordered, progress: progress, body))
    }

    /// Like ``imap(_:chunksize:retryable:progress:_:)``, but yields each result as soon as it is
    /// ready, in whatever order they finish: Python's `imap_unordered`.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once (default 1, as in Python).
    ///   - retryable: whether a chunk may run again if its worker dies mid-chunk.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: the results in the order they finish, as an `AsyncSequence`; iterating
    ///   throws at an item whose work failed.
    /// - Throws: ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1.
    public func imapUnordered<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int = 1,
        retryable: Bool = false,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> PoolResults<R> {
        PoolResults(collector: try submitChunks(Array(items), chunksize: chunksize, retryable: retryable,
                                                delivery: .unordered, progress: progress, body))
    }

    /// Applies `body` to the elements of each tuple: Python's `starmap`.
    /// ```swift
    /// let sums = try await pool.starmap([(1, 2), (3, 4)]) { try await $0.add($1, $2) }
    /// ```
    /// - Parameters:
    ///   - items: the tuples of arguments.
    ///   - chunksize: how many tuples go to a worker at once; by default, Python's choice.
    ///   - retryable: whether a chunk may run again if its worker dies mid-chunk.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one tuple; it receives a worker and the tuple's elements.
    /// - Returns: one result per tuple, in order.
    /// - Throws: the first error of the work, or ``TroupeError`` `.closed` after `close()`, or
    ///   `.invalidArgument` when `chunksize` is below 1.
    public func starmap<each Argument: Sendable, R: Sendable>(
        _ items: some Sequence<(repeat each Argument)>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, repeat each Argument) async throws -> R
    ) async throws -> [R] {
        let tuples = items.map { Arguments(values: (repeat each $0)) }
        return try await map(tuples, chunksize: chunksize, retryable: retryable, progress: progress) { worker, arguments in
            try await body(worker, repeat each arguments.values)
        }
    }

    /// Sends whole chunks of items to a function that takes an array: the fastest map when
    /// the work per item is small, since each chunk is one call.
    /// ```swift
    /// let squares = try await pool.mapChunks(numbers) { try await $0.squares($1) }
    /// ```
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: items per call; by default, Python's choice.
    ///   - retryable: whether a chunk may run again if its worker dies mid-chunk.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one chunk; it must return one result per item, in order.
    /// - Returns: one result per item, in order.
    /// - Throws: the first error, or ``TroupeError`` `.closed` after `close()`, or
    ///   `.invalidArgument` when `chunksize` is below 1 or `body` returns the wrong number of
    ///   results.
    public func mapChunks<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, [Item]) async throws -> [R]
    ) async throws -> [R] {
        let all = Array(items)
        progress?.begin(total: all.count)
        if all.isEmpty { return [] }
        let size = chunksize ?? automaticChunkSize(for: all.count)
        guard size >= 1 else {
            throw TroupeError(.invalidArgument, "chunksize must be at least 1, not \(size)")
        }
        let chunks = stride(from: 0, to: all.count, by: size).map { Array(all[$0..<min($0 + size, all.count)]) }
        let results = try chunks.map { chunk in
            try applyAsync(retryable: retryable) { worker -> [R] in
                let values = try await body(worker, chunk)
                guard values.count == chunk.count else {
                    throw TroupeError(.invalidArgument, "mapChunks: the work returned \(values.count) result(s) for a chunk of \(chunk.count) item(s): return one result per item, in order")
                }
                for _ in chunk { progress?.advance(failed: false) }
                return values
            }
        }
        var output: [R] = []
        output.reserveCapacity(all.count)
        for result in results { output.append(contentsOf: try await result.get()) }
        return output
    }
}

/// A tuple of arguments, boxed so that a parameter pack can travel through `map`.
struct Arguments<each Value: Sendable>: Sendable {
    let values: (repeat each Value)
}
