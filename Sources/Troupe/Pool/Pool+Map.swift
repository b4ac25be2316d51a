extension Pool {
    /// Python's default chunk size: the items spread over four chunks per worker.
    func automaticChunkSize(for count: Int) -> Int {
        guard count > 0 else { return 1 }
        let chunks = processes * 4
        return (count + chunks - 1) / chunks
    }

    private static func checkChunkSize(_ chunksize: Int) throws {
        guard chunksize >= 1 else {
            throw TroupeError(.invalidArgument, "chunksize must be at least 1, not \(chunksize)")
        }
    }

    private func makeCollector<R: Sendable>(count: Int?, delivery: MapCollector<R>.Delivery,
                                            progress: ProgressTracker?) -> MapCollector<R> {
        let core = self.core
        return MapCollector<R>(count: count, delivery: delivery, progress: progress,
                               cancelJobs: { core.cancel(jobIDs: $0) })
    }

    /// Queues the task of item `index`. A failure names the item in a ``TroupeError``'s
    /// context (`item`).
    private func submitItem<Item: Sendable, R: Sendable>(
        _ item: Item, index: Int, group: UInt64?, retryable: Bool, timeout: Duration?,
        to collector: MapCollector<R>, _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws {
        let lanes = self.lanes
        let skipAfterFailure = collector.delivery == .whole
        let id = try core.submit(retryable: retryable, timeout: timeout, group: group, PoolCore.JobEntry(execute: { position in
            if skipAfterFailure && collector.hasFailed { return nil }
            do {
                try Task.checkCancellation()
                collector.set(index, .success(try await body(lanes[position], item)))
                return nil
            } catch {
                return error
            }
        }, fail: { error in
            collector.set(index, .failure((error as? TroupeError)?.adding(["item": String(index)]) ?? error))
        }))
        collector.record(id, for: index)
    }

    /// Queues one task per item, the items of a chunk together: a chunk goes to one worker,
    /// which holds its calls as they come (their messages travel batched).
    func submitChunks<Item: Sendable, R: Sendable>(
        _ items: [Item], chunksize: Int, retryable: Bool, timeout: Duration?, delivery: MapCollector<R>.Delivery,
        progress: ProgressTracker?, _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> MapCollector<R> {
        try Self.checkChunkSize(chunksize)
        let collector: MapCollector<R> = makeCollector(count: items.count, delivery: delivery, progress: progress)
        let firstGroup = core.reserveGroups((items.count + chunksize - 1) / chunksize)
        do {
            for (index, item) in items.enumerated() {
                let group = chunksize > 1 ? firstGroup + UInt64(index / chunksize) : nil
                try submitItem(item, index: index, group: group, retryable: retryable, timeout: timeout,
                               to: collector, body)
            }
        } catch {
            collector.cancel()
            throw error
        }
        return collector
    }

    /// Pulls items from `items` as workers free up, keeping at most `pipelineDepth` chunks
    /// per worker in flight, and queues a task for each.
    func feedChunks<Input: AsyncSequence & Sendable, R: Sendable>(
        _ items: Input, chunksize: Int, retryable: Bool, timeout: Duration?, delivery: MapCollector<R>.Delivery,
        progress: ProgressTracker?, _ body: @escaping @Sendable (W, Input.Element) async throws -> R
    ) throws -> PoolResults<R> where Input.Element: Sendable {
        try Self.checkChunkSize(chunksize)
        try core.checkAccepting()
        let collector: MapCollector<R> = makeCollector(count: nil, delivery: delivery, progress: progress)
        let window = processes * max(2, core.options.pipelineDepth) * chunksize
        let feeder = Task {
            var iterator = items.makeAsyncIterator()
            var group: UInt64? = nil
            do {
                while !collector.isCancelled {
                    await collector.waitForRoom(limit: window)
                    guard !collector.isCancelled, let item = try await iterator.next() else { break }
                    let index = collector.add()
                    if chunksize > 1, index % chunksize == 0 { group = core.reserveGroups(1) }
                    do {
                        try submitItem(item, index: index, group: group, retryable: retryable, timeout: timeout,
                                       to: collector, body)
                    } catch {
                        // The pool closed: that item fails, and the input ends there.
                        collector.set(index, .failure(error))
                        break
                    }
                }
                collector.endInput()
            } catch {
                collector.endInput(throwing: error)
            }
        }
        return PoolResults(collector: collector, onEnd: { feeder.cancel() })
    }

    /// Waits for a map's whole result; cancelling the waiting task cancels the map.
    private func wholeResult<R: Sendable>(of collector: MapCollector<R>) async throws -> [R] {
        try await withTaskCancellationHandler {
            do {
                return try await collector.whole.get()
            } catch where Task.isCancelled {
                throw TroupeError(.cancelled, "the task awaiting the map was cancelled: its queued items were dropped and its running ones cancelled")
            }
        } onCancel: {
            collector.cancel()
        }
    }

    // MARK: map

    /// Applies `body` to every item in parallel and returns the results in input order:
    /// Python's `map`. The first error ends the map (items not yet started are skipped).
    /// Cancelling the task that awaits it cancels the map: queued items are dropped and
    /// running ones are cancelled in their workers.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once; by default, Python's choice
    ///     (the items spread over four chunks per worker).
    ///   - retryable: whether an item may run again if its worker dies while it runs.
    ///   - timeout: how long each item's work may run once started; past it, that item
    ///     fails with `.timeout` (see ``applyAsync(retryable:timeout:_:)``).
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: one result per item, in order.
    /// - Throws: the first error of the work (a ``TroupeError`` names the item's index as
    ///   `item` in its context), ``TroupeError`` `.cancelled` when the waiting task was
    ///   cancelled, `.closed` after `close()`, or `.invalidArgument` when `chunksize` is below 1.
    public func map<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) async throws -> [R] {
        let all = Array(items)
        return try await wholeResult(of: submitChunks(all, chunksize: chunksize ?? automaticChunkSize(for: all.count),
                                                      retryable: retryable, timeout: timeout, delivery: .whole,
                                                      progress: progress, body))
    }

    /// Queues a map and returns at once with its future results: Python's `map_async`.
    /// ``AsyncResult/cancel()`` cancels the whole map.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once; by default, Python's choice
    ///     (the items spread over four chunks per worker).
    ///   - retryable: whether an item may run again if its worker dies while it runs.
    ///   - timeout: how long each item's work may run once started.
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
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> AsyncResult<[R]> {
        let all = Array(items)
        let collector = try submitChunks(all, chunksize: chunksize ?? automaticChunkSize(for: all.count),
                                         retryable: retryable, timeout: timeout, delivery: .whole,
                                         progress: progress, body)
        collector.whole.setCancelHandler { [weak collector] in collector?.cancel() }
        return collector.whole
    }

    /// Like ``map(_:chunksize:retryable:timeout:progress:_:)``, but one failure hides
    /// nothing: every item runs, and each gets its own `Result`, in input order.
    /// ```swift
    /// for case .failure(let error) in try await pool.mapResults(paths, { try await $0.parse($1) }) {
    ///     print(error)
    /// }
    /// ```
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once; by default, Python's choice.
    ///   - retryable: whether an item may run again if its worker dies while it runs.
    ///   - timeout: how long each item's work may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: one outcome per item, in order: its value, or the error of its work (a
    ///   ``TroupeError`` names the item's index as `item` in its context).
    /// - Throws: ``TroupeError`` `.cancelled` when the waiting task was cancelled (the map is
    ///   cancelled with it), `.closed` after `close()`, or `.invalidArgument` when `chunksize`
    ///   is below 1.
    public func mapResults<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) async throws -> [Result<R, any Error>] {
        let all = Array(items)
        let collector = try submitChunks(all, chunksize: chunksize ?? automaticChunkSize(for: all.count),
                                         retryable: retryable, timeout: timeout, delivery: .ordered,
                                         progress: progress, body)
        defer { collector.cancel() }
        var outcomes: [Result<R, any Error>] = []
        outcomes.reserveCapacity(all.count)
        while case .outcome(let outcome) = await collector.next(timeout: nil) {
            if Task.isCancelled {
                throw TroupeError(.cancelled, "the task awaiting the map was cancelled: its queued items were dropped and its running ones cancelled")
            }
            outcomes.append(outcome)
        }
        return outcomes
    }

    // MARK: imap

    /// Applies `body` to every item in parallel and yields the results in input order as
    /// they become ready: Python's `imap`. Nothing is collected first.
    ///
    /// The items are all queued at once; for input that arrives over time or has no end,
    /// pass an `AsyncSequence` instead, which is pulled as workers free up.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once (default 1, as in Python).
    ///   - retryable: whether an item may run again if its worker dies while it runs.
    ///   - timeout: how long each item's work may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: the results, as a ``PoolResults`` sequence; iterating throws at an item whose
    ///   work failed. ``PoolResults/AsyncIterator/next(timeout:)`` waits with a time limit.
    /// - Throws: ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1.
    public func imap<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int = 1,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> PoolResults<R> {
        PoolResults(collector: try submitChunks(Array(items), chunksize: chunksize, retryable: retryable,
                                                timeout: timeout, delivery: .ordered, progress: progress, body))
    }

    /// Applies `body` to the items of an `AsyncSequence` as they arrive, and yields the
    /// results in input order: `imap` over streaming input.
    ///
    /// The input is pulled only as workers free up (at most ``PoolOptions/pipelineDepth``
    /// chunks per worker are in flight), so an endless or slow input is fine. When the input
    /// throws, its error is raised after the results of the items before it.
    /// ```swift
    /// for try await count in try pool.imap(lines) { try await $0.wordCount($1) } { ... }
    /// ```
    /// - Parameters:
    ///   - items: the inputs, pulled as they are needed.
    ///   - chunksize: how many consecutive items go to the same worker (default 1).
    ///   - retryable: whether an item may run again if its worker dies while it runs.
    ///   - timeout: how long each item's work may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: the results, as a ``PoolResults`` sequence.
    /// - Throws: ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1.
    public func imap<Input: AsyncSequence & Sendable, R: Sendable>(
        _ items: Input,
        chunksize: Int = 1,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Input.Element) async throws -> R
    ) throws -> PoolResults<R> where Input.Element: Sendable {
        try feedChunks(items, chunksize: chunksize, retryable: retryable, timeout: timeout,
                       delivery: .ordered, progress: progress, body)
    }

    /// Like `imap`, but yields each result as soon as it is ready, in whatever order they
    /// finish: Python's `imap_unordered`.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: how many items go to a worker at once (default 1, as in Python).
    ///   - retryable: whether an item may run again if its worker dies while it runs.
    ///   - timeout: how long each item's work may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: the results in the order they finish, as a ``PoolResults`` sequence;
    ///   iterating throws at an item whose work failed.
    /// - Throws: ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1.
    public func imapUnordered<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int = 1,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Item) async throws -> R
    ) throws -> PoolResults<R> {
        PoolResults(collector: try submitChunks(Array(items), chunksize: chunksize, retryable: retryable,
                                                timeout: timeout, delivery: .unordered, progress: progress, body))
    }

    /// `imapUnordered` over an `AsyncSequence`: the input is pulled as workers free up, and
    /// the results come in the order they finish. When the input throws, its error is raised
    /// after the results of every item before it.
    /// - Parameters:
    ///   - items: the inputs, pulled as they are needed.
    ///   - chunksize: how many consecutive items go to the same worker (default 1).
    ///   - retryable: whether an item may run again if its worker dies while it runs.
    ///   - timeout: how long each item's work may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one item.
    /// - Returns: the results in the order they finish, as a ``PoolResults`` sequence.
    /// - Throws: ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1.
    public func imapUnordered<Input: AsyncSequence & Sendable, R: Sendable>(
        _ items: Input,
        chunksize: Int = 1,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, Input.Element) async throws -> R
    ) throws -> PoolResults<R> where Input.Element: Sendable {
        try feedChunks(items, chunksize: chunksize, retryable: retryable, timeout: timeout,
                       delivery: .unordered, progress: progress, body)
    }

    // MARK: starmap

    /// Applies `body` to the elements of each tuple: Python's `starmap`.
    /// ```swift
    /// let sums = try await pool.starmap([(1, 2), (3, 4)]) { try await $0.add($1, $2) }
    /// ```
    /// - Parameters:
    ///   - items: the tuples of arguments.
    ///   - chunksize: how many tuples go to a worker at once; by default, Python's choice.
    ///   - retryable: whether a tuple's work may run again if its worker dies while it runs.
    ///   - timeout: how long each tuple's work may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one tuple; it receives a worker and the tuple's elements.
    /// - Returns: one result per tuple, in order.
    /// - Throws: as ``map(_:chunksize:retryable:timeout:progress:_:)``.
    public func starmap<each Argument: Sendable, R: Sendable>(
        _ items: some Sequence<(repeat each Argument)>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, repeat each Argument) async throws -> R
    ) async throws -> [R] {
        let tuples = items.map { Arguments(values: (repeat each $0)) }
        return try await map(tuples, chunksize: chunksize, retryable: retryable, timeout: timeout, progress: progress) { worker, arguments in
            try await body(worker, repeat each arguments.values)
        }
    }

    /// Queues a ``starmap(_:chunksize:retryable:timeout:progress:_:)`` and returns at once with
    /// its future results: Python's `starmap_async`.
    /// - Parameters:
    ///   - items: the tuples of arguments.
    ///   - chunksize: how many tuples go to a worker at once; by default, Python's choice.
    ///   - retryable: whether a tuple's work may run again if its worker dies while it runs.
    ///   - timeout: how long each tuple's work may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one tuple; it receives a worker and the tuple's elements.
    /// - Returns: the future list of results, in order.
    /// - Throws: as ``mapAsync(_:chunksize:retryable:timeout:progress:_:)``.
    public func starmapAsync<each Argument: Sendable, R: Sendable>(
        _ items: some Sequence<(repeat each Argument)>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, repeat each Argument) async throws -> R
    ) throws -> AsyncResult<[R]> {
        let tuples = items.map { Arguments(values: (repeat each $0)) }
        return try mapAsync(tuples, chunksize: chunksize, retryable: retryable, timeout: timeout, progress: progress) { worker, arguments in
            try await body(worker, repeat each arguments.values)
        }
    }

    // MARK: mapChunks

    /// Sends whole chunks of items to a function that takes an array: the fastest map when
    /// the work per item is small, since each chunk is one call.
    /// ```swift
    /// let squares = try await pool.mapChunks(numbers) { try await $0.squares($1) }
    /// ```
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunksize: items per call; by default, Python's choice.
    ///   - retryable: whether a chunk may run again if its worker dies while it runs.
    ///   - timeout: how long each chunk's call may run once started.
    ///   - progress: where to report progress (``ProgressTracker/terminal(label:)`` draws a bar).
    ///   - body: the work for one chunk; it must return one result per item, in order.
    /// - Returns: one result per item, in order.
    /// - Throws: the first error (a ``TroupeError`` names the chunk as `item` in its context:
    ///   chunk `n` starts at item `n × chunksize`), `.cancelled` when the waiting task was
    ///   cancelled, ``TroupeError`` `.closed` after `close()`, or `.invalidArgument` when
    ///   `chunksize` is below 1 or `body` returns the wrong number of results.
    public func mapChunks<Item: Sendable, R: Sendable>(
        _ items: some Sequence<Item>,
        chunksize: Int? = nil,
        retryable: Bool = false,
        timeout: Duration? = nil,
        progress: ProgressTracker? = nil,
        _ body: @escaping @Sendable (W, [Item]) async throws -> [R]
    ) async throws -> [R] {
        let all = Array(items)
        let size = chunksize ?? automaticChunkSize(for: all.count)
        try Self.checkChunkSize(size)
        progress?.begin(total: all.count)
        let starts = Array(stride(from: 0, to: all.count, by: size))
        let results = try await map(starts, chunksize: 1, retryable: retryable, timeout: timeout, progress: nil) { worker, start -> [R] in
            let chunk = Array(all[start..<min(start + size, all.count)])
            let values = try await body(worker, chunk)
            guard values.count == chunk.count else {
                throw TroupeError(.invalidArgument, "mapChunks: the work returned \(values.count) result(s) for a chunk of \(chunk.count) item(s): return one result per item, in order")
            }
            for _ in chunk { progress?.advance(failed: false) }
            return values
        }
        return results.flatMap { $0 }
    }
}

/// A tuple of arguments, boxed so that a parameter pack can travel through `map`.
struct Arguments<each Value: Sendable>: Sendable {
    let values: (repeat each Value)
}
