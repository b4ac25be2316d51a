import TroupePlatform
import Synchronization
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport
import TroupeWire

/// Shared state: the owner, each container's operations, atomicity across processes,
/// the owner's failure and bad input.
@Suite(.serialized)
struct SharedStateTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func dictionaryOperationsFromTheParent() async throws {
        let manager = try Manager()
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary(["x": 1])
        #expect(try await dictionary.get("x") == 1)
        #expect(try await dictionary["x"] == 1)
        #expect(try await dictionary.get("nope") == nil)
        try await dictionary.set("y", to: 2)
        try await dictionary.update([("z", 3), ("w", 4)])
        #expect(try await dictionary.count == 4)
        #expect(try await dictionary.keys() == ["x", "y", "z", "w"])
        #expect(try await dictionary.values() == [1, 2, 3, 4])
        #expect(try await dictionary.contains("z"))
        #expect(try await !dictionary.contains("q"))
        #expect(try await dictionary.values(for: ["w", "q", "x"]) == [4, nil, 1])
        #expect(try await dictionary.increment("x", by: 5) == 6)
        #expect(try await dictionary.increment("fresh", by: 2) == 2)
        let swapped = try await dictionary.compareExchange("y", expected: 2, desired: 20)
        #expect(swapped.exchanged && swapped.original == 2)
        let refused = try await dictionary.compareExchange("y", expected: 2, desired: 99)
        #expect(!refused.exchanged && refused.original == 20)
        let inserted = try await dictionary.compareExchange("new", expected: nil, desired: 7)
        #expect(inserted.exchanged && inserted.original == nil)
        #expect(try await dictionary.remove("z") == 3)
        #expect(try await dictionary.remove("z") == nil)
        #expect(try await dictionary.snapshot() == ["x": 6, "y": 20, "w": 4, "fresh": 2, "new": 7])
        try await dictionary.removeAll()
        #expect(try await dictionary.count == 0)
    }

    @Test func dictionaryOperationsFromAWorker() async throws {
        let manager = try Manager()
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary()
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let seen = try await process.actor.exercise(dictionary)
        #expect(seen == [
            "get a=1", "missing=true", "contains b=true", "count=3", "keys=[\"a\", \"b\", \"c\"]",
            "many=[Optional(1), nil, Optional(3)]", "increment=11", "cas=true,3", "removed=2",
            "snapshot=[\"a:11\", \"c:30\"]",
        ])
        // The parent sees what the worker did.
        #expect(try await dictionary.snapshot() == ["a": 11, "c": 30])
    }

    @Test func concurrentIncrementsFromSeveralProcessesLoseNoUpdate() async throws {
        let manager = try Manager()
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary()
        let array = try await manager.array([0, 0] as [Int64])
        let processes = 3, times = 400
        let pool = try await Pool<EchoWorker>(processes: processes)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<processes {
                group.addTask {
                    try await pool.apply { worker in
                        try await worker.increment(dictionary, key: "n", times: times, concurrency: 16)
                        try await worker.add(to: array, index: 1, times: times, concurrency: 16)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await dictionary.get("n") == processes * times)
        #expect(try await array.snapshot() == [0, Int64(processes * times)])
        pool.close()
        try await pool.join()
    }

    @Test func numericArraysOfAnySizeTravelInBothForms() async throws {
        // From 32 elements on, numeric arrays travel as one ext (Protocol 1): the owner's
        // operations must read that form as well as the short one.
        let manager = try Manager()
        let many = Array(0..<40)
        let dictionary: SharedDictionary<Int, Int> = try await manager.dictionary()
        try await dictionary.update(many.map { ($0, $0 * 10) })
        #expect(try await dictionary.values(for: many) == many.map { $0 * 10 })
        #expect(try await dictionary.values(for: [1, 2]) == [10, 20])
        let doubles = try await manager.array(many.map(Double.init))
        #expect(try await doubles.snapshot() == many.map(Double.init))
        let ints = try await manager.array(many.map(Int32.init))
        #expect(try await ints.increment(at: 39, by: 1) == 40)
        let list: SharedList<Int> = try await manager.list()
        try await list.append(contentsOf: many)
        #expect(try await list.snapshot() == many)
    }

    @Test func batchesAtAnOwnerProcessAreAppliedWholeOrNotAtAll() async throws {
        // At an owner in its own process, `update` and `getMany` are read entry by entry from
        // the message: they must keep the order, the last value of a repeated key, absent
        // keys, both forms of a numeric array, and leave the dictionary as it was when any
        // part of a batch is malformed.
        let manager = try await Manager.startOwnerProcess(timeout: .seconds(10))
        defer { Task { await manager.shutdown() } }
        let numbers: SharedDictionary<Int, Int> = try await manager.dictionary()
        let many = Array(0..<100)
        try await numbers.update(many.map { ($0, $0 * 3) } + [(5, -1)])
        let expected: [Int?] = many.map { $0 == 5 ? -1 : $0 * 3 }
        #expect(try await numbers.count == 100)
        #expect(try await numbers.keys() == many)
        #expect(try await numbers.values(for: many + [1_000]) == expected + [nil])
        #expect(try await numbers.values(for: [7, 1_000, 5]) == [21, nil, -1])
        let names: SharedDictionary<String, Double> = try await manager.dictionary()
        try await names.update([("b", 2.5), ("a", 1.5)])
        #expect(try await names.values(for: ["a", "zz", "b"]) == [1.5, nil, 2.5])
        #expect(try await names.keys() == ["b", "a"])

        // Arguments of the wrong shape are clear errors (a message that does not decode at all
        // is refused before it reaches the owner's operations).
        for (operation, bytes) in [("update", [0x01] as [UInt8]), ("getMany", [0x01]), ("getMany", [0x81, 0x01, 0x02])] {
            let error = await #expect(throws: TroupeError.self, "\(operation) \(bytes)") {
                _ = try await numbers.client.perform(operation, [bytes])
            }
            #expect(error?.code == .badArguments, "\(operation) \(bytes): \(String(describing: error))")
        }
        #expect(try await numbers.count == 100)

        // On a container of another kind the operation is refused, and changes nothing.
        let list: SharedList<Int> = try await manager.list([1, 2])
        await #expect(throws: TroupeError.self) { _ = try await list.client.perform("update", [[0x81, 0x01, 0x02]]) }
        await #expect(throws: TroupeError.self) { _ = try await list.client.perform("getMany", [[0x91, 0x00]]) }
        #expect(try await list.snapshot() == [1, 2])
    }

    @Test func aBatchThatDoesNotDecodeChangesNothing() throws {
        // The owner reads a batch entry by entry; one that breaks off halfway, holds a bad
        // string or has bytes after it must leave the dictionary as it was.
        let store = StateStore()
        let created = Mutex<Result<MessagePackValue, TroupeError>?>(nil)
        store.perform("create", on: "d", arguments: [.string("dict"), .map([(key: 1, value: 10)])], node: "test") { result in
            created.withLock { $0 = result }
        }
        #expect(try created.withLock { $0 }?.get() == .string("dict"))
        let malformed: [(String, [UInt8])] = [
            ("update", [0x83, 0x01, 0x02, 0x03, 0x04, 0x05]),       // the third pair has no value
            ("update", [0x82, 0x01, 0x02, 0xa1, 0xff, 0x03]),       // the second key is not UTF-8
            ("update", [0x81, 0x01, 0x02, 0xc0]),                   // a byte follows the map
            ("getMany", [0x92, 0x01]),                              // the array ends early
        ]
        for (operation, bytes) in malformed {
            let answer = try #require(store.performOnEntries(Envelope.StateOperation(callID: 2, container: "d", operation: operation, arguments: [bytes])))
            guard case .failure(let error) = answer else {
                Issue.record("\(operation) \(bytes) was applied")
                continue
            }
            #expect(error.code == .badArguments && error.message.contains("do not decode"), "\(error)")
        }
        let answer = try #require(store.performOnEntries(Envelope.StateOperation(callID: 3, container: "d", operation: "getMany",
                                                                                  arguments: [MessagePackValue.array([1, 3, 5]).encoded])))
        #expect(try MessagePackValue(decoding: answer.get()) == .array([10, .nil, .nil]))
        // Other operations, and containers that are not dictionaries, take the general path.
        #expect(store.performOnEntries(Envelope.StateOperation(callID: 4, container: "d", operation: "get", arguments: [[0x01]])) == nil)
        #expect(store.performOnEntries(Envelope.StateOperation(callID: 5, container: "none", operation: "update", arguments: [[0x80]])) == nil)
    }

    @Test func arrayOperationsAndItsFixedSize() async throws {
        let manager = try Manager()
        let temp = try await manager.array([11, 22, 33, 44] as [Int32])
        #expect(temp.count == 4)
        #expect(try await temp[0] == 11)
        #expect(try await temp[-1] == 44)
        try await temp.set(1, to: 122)
        #expect(try await temp.increment(at: 2, by: 7) == 40)
        #expect(try await temp.snapshot() == [11, 122, 40, 44])
        let outOfRange = await #expect(throws: TroupeError.self) { try await temp.set(4, to: 1) }
        #expect(outOfRange?.code == .indexOutOfRange)
        let overflow = await #expect(throws: TroupeError.self) { try await temp.increment(at: 0, by: Int32.max) }
        #expect(overflow?.code == .invalidArgument)
        #expect(try await temp.snapshot() == [11, 122, 40, 44])

        let doubles = try await manager.array(repeating: 0.5, count: 3)
        #expect(try await doubles.increment(at: 0, by: 0.25) == 0.75)
        #expect(try await doubles.snapshot() == [0.75, 0.5, 0.5])
        let wide = try await manager.array([Int64.max - 1])
        #expect(try await wide.increment(at: 0, by: 1) == Int64.max)
    }

    @Test func arraySetFromAWorkerIsSeenByTheParent() async throws {
        let manager = try Manager()
        let temp = try await manager.array([11, 22, 33, 44] as [Int32])
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        try await process.actor.set(temp, index: 3, value: 103)
        #expect(try await temp.snapshot() == [11, 22, 33, 103])
        let error = await #expect(throws: TroupeError.self) { try await process.actor.set(temp, index: 9, value: 1) }
        #expect(error?.code == .indexOutOfRange)
    }

    @Test func wrongTypesAndUnknownContainersAreClearErrors() async throws {
        let manager = try Manager()
        _ = try await manager.array([1.0, 2.0], name: "doubles")
        let mismatch = await #expect(throws: TroupeError.self) { _ = try await manager.array([1, 2] as [Int32], name: "doubles") }
        #expect(mismatch?.code == .typeMismatch)
        let kind = await #expect(throws: TroupeError.self) {
            let _: SharedDictionary<String, Int> = try await manager.dictionary(name: "doubles")
        }
        #expect(kind?.code == .typeMismatch)

        let strings: SharedDictionary<String, String> = try await manager.dictionary(["k": "text"], name: "strings")
        let asNumbers: SharedDictionary<String, Int> = try await manager.dictionary(name: "strings")
        let decode = await #expect(throws: TroupeError.self) { _ = try await asNumbers.get("k") }
        #expect(decode?.code == .typeMismatch)
        #expect(try await strings.get("k") == "text")
        let increment = await #expect(throws: TroupeError.self) { _ = try await asNumbers.increment("k", by: 1) }
        #expect(increment?.code == .typeMismatch)
        #expect(try await strings.get("k") == "text")

        let system = try TroupeActorSystem.local()
        let ghost = StateClient(system: system, reference: SharedStateReference(node: system.node, endpoint: system.endpoint, name: "ghost"),
                                timeout: .seconds(5))
        let unknown = await #expect(throws: TroupeError.self) { _ = try await ghost.perform("get", []) }
        #expect(unknown?.code == .unknownContainer)
        let operation = await #expect(throws: TroupeError.self) { _ = try await StateClient(system: system, reference: strings.reference, timeout: .seconds(5)).perform("add", []) }
        #expect(operation?.code == .invalidArgument)
    }

    @Test func listAndValue() async throws {
        let manager = try Manager()
        let list = try await manager.list([1, 2])
        try await list.append(3)
        try await list.append(contentsOf: [4, 5])
        try await list.insert(0, at: 0)
        #expect(try await list[0] == 0)
        #expect(try await list[-1] == 5)
        #expect(try await list.pop() == 5)
        #expect(try await list.pop(at: 0) == 0)
        try await list.set(0, to: 10)
        #expect(try await list.snapshot() == [10, 2, 3, 4])
        #expect(try await list.count == 4)
        let empty = try await manager.list([Int]())
        let pop = await #expect(throws: TroupeError.self) { _ = try await empty.pop() }
        #expect(pop?.code == .indexOutOfRange)

        let value = try await manager.value(41)
        #expect(try await value.increment(by: 1) == 42)
        #expect(try await value.get() == 42)
        let exchanged = try await value.compareExchange(expected: 42, desired: 0)
        #expect(exchanged.exchanged && exchanged.original == 42)
        try await value.set(5)
        #expect(try await value.get() == 5)
    }

    @Test func queueGetWaitsForAPutAndTimesOut() async throws {
        let manager = try Manager()
        let queue = try await manager.queue(of: Int.self)
        let empty = await #expect(throws: TroupeError.self) { _ = try await queue.get(timeout: .milliseconds(100)) }
        #expect(empty?.code == .timeout)
        try await queue.put(1)
        try await queue.put(2)
        #expect(try await queue.count == 2)
        #expect(try await queue.get() == 1)
        #expect(try await queue.get(timeout: .zero) == 2)

        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        async let taken = process.actor.take(from: queue, milliseconds: 20_000)
        // Put once the worker's get waits at the owner.
        let store = try #require(try TroupeActorSystem.local().stateHandler.withLock { $0 } as? StateStore)
        #expect(await eventually { store.waiterCount(queue: queue.reference.name) == 1 })
        try await queue.put(99)
        #expect(try await taken == 99)
        // Nothing is lost: a put after a timed-out get is still there.
        _ = try? await process.actor.take(from: queue, milliseconds: 10)
        try await process.actor.put(7, on: queue)
        #expect(try await queue.get(timeout: .seconds(5)) == 7)
    }

    @Test func lockExcludesAndTheDeathOfItsHolderReleasesIt() async throws {
        let manager = try Manager()
        let lock = try await manager.lock()
        #expect(try await lock.acquire())
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        #expect(try await process.actor.tryLock(lock, milliseconds: 100) == false)
        try await lock.release()
        #expect(try await process.actor.tryLock(lock, milliseconds: 5000) == true)
        let notHeld = await #expect(throws: TroupeError.self) { try await lock.release() }
        #expect(notHeld?.code == .lockNotHeld)

        let dying = try await ActorProcess.start(EchoWorker.self)
        _ = try? await dying.actor.acquireAndDie(lock)
        #expect(await dying.join(timeout: .seconds(20)) == .exited(code: 9))
        #expect(try await lock.acquire(timeout: .seconds(10)))
        try await lock.release()
        let total = try await lock.withLock { 1 + 1 }
        #expect(total == 2)
    }

    @Test func aLockAtAnOwnerProcessIsReleasedWhenItsHolderDies() async throws {
        let manager = try await Manager.startOwnerProcess(timeout: .seconds(10))
        defer { Task { await manager.shutdown() } }
        let lock = try await manager.lock()
        let dying = try await ActorProcess.start(EchoWorker.self)
        _ = try? await dying.actor.acquireAndDie(lock)
        #expect(await dying.join(timeout: .seconds(20)) == .exited(code: 9))
        #expect(try await lock.acquire(timeout: .seconds(10)))
        try await lock.release()
    }

    @Test func aProxyTravelsThroughAPoolTask() async throws {
        let manager = try Manager()
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary(["seed": 5])
        let pool = try await Pool<EchoWorker>(processes: 2)
        let values = try await pool.map(0..<4, chunksize: 1) { worker, _ in try await worker.read(dictionary, key: "seed") }
        #expect(values == [5, 5, 5, 5])
        pool.close()
        try await pool.join()
    }

    /// The outcome of `task` if it ends within `limit`; nil when it is still running then.
    private func outcome<T: Sendable>(of task: Task<T, any Error>, within limit: Duration = .seconds(20)) async -> Result<T, any Error>? {
        await withTaskGroup(of: Result<T, any Error>?.self) { group in
            group.addTask { await task.result }
            group.addTask { try? await Task.sleep(for: limit); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test func aDeadOwnerProcessFailsCallsAtOnceInTheParentThatSawItDie() async throws {
        // An hour's timeout: a call that waited for it would not end within the test.
        let manager = try await Manager.startOwnerProcess(timeout: .seconds(3600))
        let ownerPID = try #require(manager.ownerProcessID)
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary(["k": 1])
        let queue: SharedQueue<Int> = try await manager.queue()
        let waiting = Task { try await queue.get() }
        #expect(try await dictionary.get("k") == 1)
        kill(ownerPID, SIGKILL)

        // The call in flight, and every later one, fail with ownerUnavailable, saying why.
        for task in [Task { try await queue.get() } as Task<Int, any Error>, waiting] {
            guard let ended = await outcome(of: task) else {
                Issue.record("a call to the dead owner is still waiting")
                task.cancel()
                continue
            }
            #expect(throws: TroupeError.self) { try ended.get() }
        }
        let later = await outcome(of: Task { try await dictionary.get("k") })
        guard case .failure(let error as TroupeError)? = later else {
            Issue.record("a call after the owner's death: \(String(describing: later))")
            return
        }
        #expect(error.code == .ownerUnavailable)
        #expect(error.message.contains("killed by signal 9"), "\(error)")
    }

    @Test func aContainerCannotBeNamedByAPeerThatWasNotGivenItsProxy() async throws {
        let manager = try Manager()
        let system = try TroupeActorSystem.local()
        let secret: SharedDictionary<String, Int> = try await manager.dictionary(["secret": 42])
        let other: SharedDictionary<String, Int> = try await manager.dictionary()
        // The name carries 128 random bits, not this process's node and a counter.
        #expect(!secret.reference.name.contains(system.node), "\(secret.reference.name)")
        #expect(secret.reference.name != other.reference.name)
        #expect(secret.reference.name.utf8.count >= "dict-".utf8.count + 32, "\(secret.reference.name)")
        // What a peer could guess from the node name finds nothing.
        var found: [String] = []
        for number in 1...2000 {
            let guess = SharedStateReference(node: system.node, endpoint: system.endpoint, name: "dict-\(system.node)-\(number)")
            if (try? await StateClient(system: system, reference: guess, timeout: .seconds(5)).perform("count")) != nil {
                found.append(guess.name)
            }
        }
        #expect(found.isEmpty, "guessed containers: \(found)")
    }

    @Test func theOwnerCanLiveInItsOwnProcess() async throws {
        let manager = try await Manager.startOwnerProcess(timeout: .seconds(2))
        let ownerPID = try #require(manager.ownerProcessID)
        #expect(ProcessTable.children(of: getpid()).contains(ownerPID))
        let dictionary: SharedDictionary<String, Int> = try await manager.dictionary()
        try await dictionary.set("k", to: 1)
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        try await process.actor.increment(dictionary, key: "k", times: 50, concurrency: 8)
        #expect(try await dictionary.get("k") == 51)
        #expect(try await process.actor.read(dictionary, key: "k") == 51)

        // The owner dies: operations fail with a clear error after the timeout, never hang.
        kill(ownerPID, SIGKILL)
        #expect(await eventually { !ProcessTable.isAlive(ownerPID) })
        let fromParent = await #expect(throws: TroupeError.self) { _ = try await dictionary.get("k") }
        #expect(fromParent?.code == .ownerUnavailable || fromParent?.code == .workerCrashed)
        let fromWorker = await #expect(throws: TroupeError.self) { _ = try await process.actor.read(dictionary, key: "k") }
        #expect(fromWorker?.code == .ownerUnavailable)
        #expect(fromWorker?.message.contains("did not answer") == true)
    }
}
