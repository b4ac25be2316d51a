import DequeModule
import OrderedCollections
import Synchronization
import TroupeWire

/// The owner of shared state: named containers, and every operation on them (Protocol 3),
/// each one atomic because all of them run under one lock.
///
/// Operations arrive as STATE envelopes on the owner's mailbox thread, or directly from
/// proxies in the owner's own process. Blocking operations (a queue's `get`, a lock's
/// `acquire`) answer later, when they can, or when their timeout passes.
final class StateStore: Sendable, StateRequestHandler {
    typealias Reply = @Sendable (Result<MessagePackValue, TroupeError>) -> Void

    private struct Waiter {
        let id: UInt64
        let node: String
        let token: UInt64
        let reply: Reply
    }

    private struct State {
        var containers: [String: StateContainer] = [:]
        var queueWaiters: [String: Deque<Waiter>] = [:]
        var lockWaiters: [String: Deque<Waiter>] = [:]
        var lastWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Forwards operations on containers this store does not hold to this process's
    /// supervisor, for its local workers (see ``BrokerStateRelay``).
    let relay = BrokerStateRelay()

    // MARK: StateRequestHandler

    func handle(_ request: Envelope.StateOperation, from peer: PeerAddress, system: TroupeActorSystem) {
        let node: String
        switch peer {
        case .routed(let identity): node = String(decoding: identity, as: UTF8.self)
        case .connection(let endpoint): node = endpoint
        case .service(let endpoint, _), .brokered(let endpoint, _): node = endpoint
        }
        if request.operation != "create", !holds(request.container), relay.forward(request, from: peer, node: node, system: system) {
            return
        }
        if let answer = performOnEntries(request) {
            switch answer {
            case .success(let bytes): system.send(.return(Envelope.Return(callID: request.callID, value: bytes)), to: peer)
            case .failure(let error): system.send(.throw(Envelope.Throw(failure: error, callID: request.callID)), to: peer)
            }
            return
        }
        let arguments: [MessagePackValue]
        do {
            arguments = try request.arguments.map { bytes throws(WireError) in try MessagePackValue(decoding: bytes) }
        } catch {
            system.send(.throw(Envelope.Throw(failure: TroupeError(.badArguments, "the arguments of \(request.operation) do not decode: \(error)"),
                                              callID: request.callID)), to: peer)
            return
        }
        let callID = request.callID
        perform(request.operation, on: request.container, arguments: arguments, node: node) { result in
            switch result {
            case .success(let value):
                system.send(.return(Envelope.Return(callID: callID, value: value.encoded)), to: peer)
            case .failure(let error):
                system.send(.throw(Envelope.Throw(failure: error, callID: callID)), to: peer)
            }
        }
    }

    // MARK: Operations

    /// Performs a dictionary's `update` or `getMany` from its encoded argument: the pairs of
    /// an update go into the table as they are read, never held as a `MessagePackValue` map,
    /// and the answer of a `getMany` is written as its keys are looked up. Returns nil for any
    /// other operation, or when `request.container` is not a dictionary held here:
    /// ``perform(_:on:arguments:node:reply:)`` then answers it.
    func performOnEntries(_ request: Envelope.StateOperation) -> Result<[UInt8], TroupeError>? {
        let operation = request.operation
        guard operation == "update" || operation == "getMany", request.arguments.count == 1 else { return nil }
        let name = request.container
        return state.withLock { state -> Result<[UInt8], TroupeError>? in
            guard case .dictionary(var contents)? = state.containers[name] else { return nil }
            TroupeMetrics.shared.stateOperation(operation)
            // Taken out while it changes, so that it is changed in place, not copied.
            state.containers[name] = .value(.nil)
            defer { state.containers[name] = .dictionary(contents) }
            let argument = request.arguments[0]
            let result: Result<[UInt8], TroupeError>
            if operation == "update" {
                result = argument.withUnsafeBytes { buffer -> Result<[UInt8], TroupeError> in
                    do throws(TroupeError) {
                        var reader = try Self.validatedReader(buffer, operation: operation)
                        try Self.update(&contents, from: &reader)
                        return .success(MessagePackValue.nil.encoded)
                    } catch {
                        return .failure(error)
                    }
                }
            } else {
                result = Result { () throws(TroupeError) in try Self.values(in: contents, for: argument) }
            }
            return result.mapError { $0.adding(["container": name, "operation": operation]) }
        }
    }

    /// A reader at the start of `buffer` once it holds exactly one well-formed value. Checking
    /// the whole batch before any of it is applied keeps `update` all or nothing: reading a
    /// checked value cannot fail halfway.
    private static func validatedReader(_ buffer: UnsafeRawBufferPointer, operation: String) throws(TroupeError) -> MessagePackReader {
        var reader = MessagePackReader(buffer)
        do throws(WireError) {
            try reader.skipValue()
            guard reader.isAtEnd else {
                throw WireError(.trailingBytes, "\(reader.remainingCount) bytes follow the value", offset: reader.position)
            }
        } catch {
            throw TroupeError(.badArguments, "the arguments of \(operation) do not decode: \(error)")
        }
        reader.position = 0
        return reader
    }

    /// Stores every pair of the map `reader` is at (`update`).
    private static func update(_ contents: inout OrderedDictionary<MessagePackValue, MessagePackValue>,
                               from reader: inout MessagePackReader) throws(TroupeError) {
        guard (try? reader.peekType()) == .map else { throw TroupeError(.badArguments, "update needs a map") }
        do throws(WireError) {
            let count = try reader.readMapHeader()
            // Room for every new key at once: one growth of the hash table, not one per doubling.
            contents.reserveCapacity(contents.count + count)
            for _ in 0..<count {
                let key = try reader.readValue(depth: 1)
                contents[key] = try reader.readValue(depth: 1)
            }
        } catch {
            throw TroupeError(.badArguments, "the arguments of update do not decode: \(error)")
        }
    }

    /// The encoded array of the values for the encoded keys `argument`, nil for an absent key
    /// (`getMany`). The keys are an array, or a bulk numeric array (Protocol 1) when they are
    /// integers; reading changes nothing, so they need no check before.
    private static func values(in contents: OrderedDictionary<MessagePackValue, MessagePackValue>,
                               for argument: [UInt8]) throws(TroupeError) -> [UInt8] {
        let keys: [MessagePackValue]?
        do throws(WireError) {
            keys = try MessagePackValue(decoding: argument).arrayValue
        } catch {
            throw TroupeError(.badArguments, "the arguments of getMany do not decode: \(error)")
        }
        guard let keys else { throw TroupeError(.badArguments, "getMany needs an array of keys") }
        var writer = MessagePackWriter(capacity: 8 + keys.count * 9)
        writer.writeArrayHeader(keys.count)
        for key in keys { writer.write(contents[key] ?? .nil) }
        return writer.bytes
    }

    /// Performs one operation; `reply` is called exactly once, at once or (for blocking
    /// operations) later.
    func perform(_ operation: String, on name: String, arguments: [MessagePackValue], node: String, reply: @escaping Reply) {
        TroupeMetrics.shared.stateOperation(operation)
        var deferred: [() -> Void] = []
        var expiries: [(UInt64, Double)] = []
        let result: Result<MessagePackValue, TroupeError>? = state.withLock { state in
            do throws(TroupeError) {
                if operation == "create" {
                    return .success(try Self.create(name, arguments: arguments, state: &state))
                }
                // Taken out while it changes, so that it is changed in place, not copied.
                guard var container = state.containers.removeValue(forKey: name) else {
                    throw TroupeError(.unknownContainer, "no shared container is named '\(name)'", context: ["container": name])
                }
                defer { state.containers[name] = container }
                let outcome = try Self.apply(operation, to: &container, name: name, arguments: arguments,
                                             node: node, reply: reply, state: &state, deferred: &deferred,
                                             expiries: &expiries)
                return outcome.map { .success($0) }
            } catch {
                return .failure(error.adding(["container": name, "operation": operation]))
            }
        }
        if let result { reply(result) }
        for action in deferred { action() }
        for (waiterID, timeout) in expiries { scheduleExpiry(of: waiterID, container: name, after: timeout) }
    }

    /// How many `get`s wait on the queue `name`.
    func waiterCount(queue name: String) -> Int {
        state.withLock { $0.queueWaiters[name]?.count ?? 0 }
    }

    /// Whether `node` holds a lock or waits for one, or for a queue's element.
    func isInvolved(node: String) -> Bool {
        state.withLock { state in
            state.lockWaiters.values.contains { $0.contains { $0.node == node } }
                || state.queueWaiters.values.contains { $0.contains { $0.node == node } }
                || state.containers.values.contains { container in
                    if case .lock(let holder?) = container { return holder.node == node }
                    return false
                }
        }
    }

    /// Whether this store holds a container named `name`.
    func holds(_ name: String) -> Bool {
        state.withLock { $0.containers[name] != nil }
    }

    /// Every container, by name, with its kind and how many elements it holds.
    func containerSizes() -> [BrokerStatus.Container] {
        state.withLock { state in
            state.containers.map { BrokerStatus.Container(name: $0.key, kind: $0.value.kind, count: Self.count($0.value)) }
        }.sorted { $0.name < $1.name }
    }

    /// Releases every lock held by `node` (its process died) and fails its waits, here and
    /// at the supervisor this store relays to.
    func release(node: String) {
        relay.release(node: node)
        var deferred: [() -> Void] = []
        state.withLock { state in
            for name in Array(state.lockWaiters.keys) {
                state.lockWaiters[name]?.removeAll { $0.node == node }
            }
            for (name, container) in state.containers {
                if case .lock(let holder?) = container, holder.node == node {
                    var released = StateContainer.lock(holder: nil)
                    Self.handOverLock(name, container: &released, state: &state, deferred: &deferred)
                    state.containers[name] = released
                }
            }
            for name in Array(state.queueWaiters.keys) {
                state.queueWaiters[name]?.removeAll { $0.node == node }
            }
        }
        for action in deferred { action() }
    }

    /// Takes back what an answer that could not be delivered handed over (its waiter's
    /// connection was gone): a queue's element goes to the next waiter or back to the head of
    /// the queue, a lock to the next waiter or free. Other answers change nothing.
    /// - Parameters:
    ///   - result: the answer that was not delivered.
    ///   - operation: the operation it answered.
    ///   - name: the container.
    ///   - arguments: the operation's arguments (a lock's token first).
    ///   - node: the node the answer was for.
    func takeBack(_ result: Result<MessagePackValue, TroupeError>, of operation: String, on name: String,
                  arguments: [MessagePackValue], node: String) {
        guard case .success(let value) = result else { return }
        var deferred: [() -> Void] = []
        state.withLock { state in
            guard let container = state.containers[name] else { return }
            switch (container, operation) {
            case (.queue(var items), "get"):
                if var waiters = state.queueWaiters[name], let waiter = waiters.popFirst() {
                    state.queueWaiters[name] = waiters
                    deferred.append { waiter.reply(.success(value)) }
                } else {
                    state.containers[name] = .value(.nil)
                    items.prepend(value)
                    state.containers[name] = .queue(items)
                }
            case (.lock(let holder?), "acquire") where value == .bool(true):
                guard holder.node == node, holder.token == arguments.first?.uint64Value else { return }
                var released = StateContainer.lock(holder: nil)
                Self.handOverLock(name, container: &released, state: &state, deferred: &deferred)
                state.containers[name] = released
            default:
                return
            }
        }
        for action in deferred { action() }
    }

    private static func create(_ name: String, arguments: [MessagePackValue], state: inout State) throws(TroupeError) -> MessagePackValue {
        guard let kind = arguments.first?.stringValue else {
            throw TroupeError(.badArguments, "create needs the container's kind first")
        }
        let container: StateContainer
        switch kind {
        case "dict":
            var contents = OrderedDictionary<MessagePackValue, MessagePackValue>()
            if arguments.count > 1, let pairs = arguments[1].mapValue {
                contents.reserveCapacity(pairs.count)
                for pair in pairs { contents[pair.key] = pair.value }
            }
            container = .dictionary(contents)
        case "array":
            guard arguments.count == 3, let code = arguments[1].stringValue, let values = arguments[2].arrayValue else {
                throw TroupeError(.badArguments, "create array needs a type code and the initial values")
            }
            container = .array(try SharedArrayStorage(typeCode: code, values: values))
        case "list":
            container = .list(arguments.count > 1 ? arguments[1].arrayValue ?? [] : [])
        case "value":
            container = .value(arguments.count > 1 ? arguments[1] : .nil)
        case "queue":
            container = .queue(Deque())
        case "lock":
            container = .lock(holder: nil)
        default:
            throw TroupeError(.invalidArgument, "unknown container kind '\(kind)': use dict, array, list, value, queue or lock")
        }
        if let existing = state.containers[name] {
            guard existing.kind == kind else {
                throw TroupeError(.typeMismatch, "container '\(name)' exists and is a \(existing.kind), not a \(kind)")
            }
            if case .array(let present) = existing, case .array(let asked) = container,
               present.typeCode != asked.typeCode || present.count != asked.count {
                throw TroupeError(.typeMismatch, "array '\(name)' exists with \(present.count) '\(present.typeCode)' elements, not \(asked.count) '\(asked.typeCode)'")
            }
            return .string(kind)
        }
        state.containers[name] = container
        return .string(kind)
    }

    /// Applies a non-create operation. Returns nil when the reply is deferred (a blocking wait).
    private static func apply(
        _ operation: String, to container: inout StateContainer, name: String, arguments: [MessagePackValue],
        node: String, reply: @escaping Reply, state: inout State, deferred: inout [() -> Void],
        expiries: inout [(UInt64, Double)]
    ) throws(TroupeError) -> MessagePackValue? {
        func argument(_ index: Int) throws(TroupeError) -> MessagePackValue {
            guard index < arguments.count else {
                throw TroupeError(.badArguments, "\(operation) needs \(index + 1) argument(s), got \(arguments.count)")
            }
            return arguments[index]
        }
        func position(_ value: MessagePackValue, count: Int) throws(TroupeError) -> Int {
            guard let raw = value.int64Value else {
                throw TroupeError(.typeMismatch, "an index must be an integer, not \(value)")
            }
            let index = raw < 0 ? Int(raw) + count : Int(raw)
            guard index >= 0 && index < count else {
                throw TroupeError(.indexOutOfRange, "index \(raw) is out of range for \(count) element(s)")
            }
            return index
        }

        switch operation {
        case "kind": return .string(container.kind)
        case "snapshot": return snapshot(container)
        case "count": return .int(Int64(count(container)))
        default: break
        }

        switch container {
        case .dictionary(var contents):
            container = .value(.nil)
            defer { container = .dictionary(contents) }
            switch operation {
            case "get": return contents[try argument(0)] ?? .nil
            case "getMany":
                guard let keys = try argument(0).arrayValue else { throw TroupeError(.badArguments, "getMany needs an array of keys") }
                return .array(keys.map { contents[$0] ?? .nil })
            case "set":
                contents[try argument(0)] = try argument(1)
                return .nil
            case "update":
                guard let pairs = try argument(0).mapValue else { throw TroupeError(.badArguments, "update needs a map") }
                // Room for every new key at once: one growth of the hash table, not one per doubling.
                contents.reserveCapacity(contents.count + pairs.count)
                for pair in pairs { contents[pair.key] = pair.value }
                return .nil
            case "remove": return contents.removeValue(forKey: try argument(0)) ?? .nil
            case "contains": return .bool(contents[try argument(0)] != nil)
            case "keys": return .array(Array(contents.keys))
            case "values": return .array(Array(contents.values))
            case "clear":
                contents.removeAll()
                return .nil
            case "increment":
                let key = try argument(0)
                let sum = try add(contents[key] ?? .int(0), try argument(1))
                contents[key] = sum
                return sum
            case "incrementMany":
                // Every sum is worked out before any is stored: all or nothing.
                guard let deltas = try argument(0).mapValue else {
                    throw TroupeError(.badArguments, "incrementMany takes a map of keys to amounts")
                }
                var sums: [(MessagePackValue, MessagePackValue)] = []
                sums.reserveCapacity(deltas.count)
                var pending: [MessagePackValue: MessagePackValue] = [:]
                for pair in deltas {
                    let sum = try add(pending[pair.key] ?? contents[pair.key] ?? .int(0), pair.value)
                    pending[pair.key] = sum
                    sums.append((pair.key, sum))
                }
                for (key, sum) in sums { contents[key] = sum }
                return .nil
            case "compareExchange":
                let key = try argument(0)
                let current = contents[key]
                let expected = try argument(1)
                let matches = expected.isNil ? current == nil : current == expected
                if matches { contents[key] = try argument(2) }
                return .array([.bool(matches), current ?? .nil])
            default: break
            }
        case .array(var storage):
            container = .value(.nil)
            defer { container = .array(storage) }
            switch operation {
            case "get": return storage[try position(try argument(0), count: storage.count)]
            case "set":
                try storage.set(try position(try argument(0), count: storage.count), try argument(1))
                return .nil
            case "add": return try storage.add(try position(try argument(0), count: storage.count), try argument(1))
            case "typeCode": return .string(storage.typeCode)
            default: break
            }
        case .list(var items):
            container = .value(.nil)
            defer { container = .list(items) }
            switch operation {
            case "append":
                items.append(try argument(0))
                return .nil
            case "extend":
                guard let more = try argument(0).arrayValue else { throw TroupeError(.badArguments, "extend needs an array") }
                items.append(contentsOf: more)
                return .nil
            case "get": return items[try position(try argument(0), count: items.count)]
            case "set":
                items[try position(try argument(0), count: items.count)] = try argument(1)
                return .nil
            case "insert":
                guard let raw = try argument(0).int64Value else { throw TroupeError(.typeMismatch, "an index must be an integer") }
                let index = max(0, min(items.count, raw < 0 ? Int(raw) + items.count : Int(raw)))
                items.insert(try argument(1), at: index)
                return .nil
            case "pop":
                guard !items.isEmpty else { throw TroupeError(.indexOutOfRange, "pop from an empty list") }
                let index = arguments.first.map { $0.isNil } ?? true ? items.count - 1 : try position(arguments[0], count: items.count)
                return items.remove(at: index)
            case "clear":
                items.removeAll()
                return .nil
            default: break
            }
        case .value(var current):
            container = .value(.nil)
            defer { container = .value(current) }
            switch operation {
            case "get": return current
            case "set":
                current = try argument(0)
                return .nil
            case "increment":
                current = try add(current, try argument(0))
                return current
            case "compareExchange":
                let matches = current == (try argument(0))
                let before = current
                if matches { current = try argument(1) }
                return .array([.bool(matches), before])
            default: break
            }
        case .queue(var items):
            container = .value(.nil)
            defer { container = .queue(items) }
            switch operation {
            case "put":
                let item = try argument(0)
                if var waiters = state.queueWaiters[name], let waiter = waiters.popFirst() {
                    state.queueWaiters[name] = waiters
                    deferred.append { waiter.reply(.success(item)) }
                } else {
                    items.append(item)
                }
                return .nil
            case "get":
                if let item = items.popFirst() { return item }
                let timeout = arguments.first?.doubleValue ?? arguments.first?.int64Value.map(Double.init)
                if let timeout, timeout <= 0 {
                    throw TroupeError(.timeout, "the queue '\(name)' is empty")
                }
                let waiter = enqueueWaiter(node: node, token: 0, reply: reply, state: &state)
                state.queueWaiters[name, default: []].append(waiter)
                if let timeout { expiries.append((waiter.id, timeout)) }
                return nil
            default: break
            }
        case .lock(let holder):
            switch operation {
            case "acquire":
                guard let token = try argument(0).uint64Value else { throw TroupeError(.badArguments, "acquire needs a token") }
                if holder == nil {
                    container = .lock(holder: LockHolder(node: node, token: token))
                    return .bool(true)
                }
                let timeout = arguments.count > 1 ? arguments[1].doubleValue ?? arguments[1].int64Value.map(Double.init) : nil
                if let timeout, timeout <= 0 { return .bool(false) }
                let waiter = enqueueWaiter(node: node, token: token, reply: reply, state: &state)
                state.lockWaiters[name, default: []].append(waiter)
                if let timeout { expiries.append((waiter.id, timeout)) }
                return nil
            case "release":
                guard let token = try argument(0).uint64Value else { throw TroupeError(.badArguments, "release needs a token") }
                guard let holder, holder.node == node, holder.token == token else {
                    throw TroupeError(.lockNotHeld, "the lock '\(name)' is not held by this caller")
                }
                container = .lock(holder: nil)
                handOverLock(name, container: &container, state: &state, deferred: &deferred)
                return .nil
            case "holder":
                return holder.map { .string($0.node) } ?? .nil
            default: break
            }
        }
        throw TroupeError(.invalidArgument, "a \(container.kind) has no operation '\(operation)'")
    }

    /// Gives a free lock to its first waiter, if any.
    private static func handOverLock(_ name: String, container: inout StateContainer, state: inout State,
                                     deferred: inout [() -> Void]) {
        guard var waiters = state.lockWaiters[name], let next = waiters.popFirst() else { return }
        state.lockWaiters[name] = waiters
        container = .lock(holder: LockHolder(node: next.node, token: next.token))
        deferred.append { next.reply(.success(.bool(true))) }
    }

    private static func enqueueWaiter(node: String, token: UInt64, reply: @escaping Reply, state: inout State) -> Waiter {
        state.lastWaiterID += 1
        return Waiter(id: state.lastWaiterID, node: node, token: token, reply: reply)
    }

    /// Ends a blocking wait whose timeout passed: a lock's `acquire` answers false, a
    /// queue's `get` fails with `.timeout`. A wait already served is left alone.
    private func expire(waiterID: UInt64, container name: String) {
        let expired: (Waiter, isLock: Bool)? = state.withLock { state in
            if let index = state.lockWaiters[name]?.firstIndex(where: { $0.id == waiterID }) {
                return (state.lockWaiters[name]!.remove(at: index), true)
            }
            if let index = state.queueWaiters[name]?.firstIndex(where: { $0.id == waiterID }) {
                return (state.queueWaiters[name]!.remove(at: index), false)
            }
            return nil
        }
        guard let (waiter, isLock) = expired else { return }
        if isLock {
            waiter.reply(.success(.bool(false)))
        } else {
            waiter.reply(.failure(TroupeError(.timeout, "the queue '\(name)' stayed empty until the timeout",
                                              context: ["container": name])))
        }
    }

    /// Schedules the end of a wait after `timeout` seconds.
    private func scheduleExpiry(of waiterID: UInt64, container name: String, after timeout: Double) {
        Task {
            try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
            self.expire(waiterID: waiterID, container: name)
        }
    }

    private static func add(_ current: MessagePackValue, _ delta: MessagePackValue) throws(TroupeError) -> MessagePackValue {
        if let base = current.int64Value, let step = delta.int64Value {
            let (sum, overflow) = base.addingReportingOverflow(step)
            if overflow { throw TroupeError(.invalidArgument, "adding \(step) to \(base) overflows Int64") }
            return .int(sum)
        }
        let base = current.doubleValue ?? current.int64Value.map(Double.init)
        let step = delta.doubleValue ?? delta.int64Value.map(Double.init)
        guard let base, let step else {
            throw TroupeError(.typeMismatch, "cannot add \(delta) to \(current): both must be numbers")
        }
        return .double(base + step)
    }

    private static func snapshot(_ container: StateContainer) -> MessagePackValue {
        switch container {
        case .dictionary(let contents): return .map(contents.map { (key: $0.key, value: $0.value) })
        case .array(let storage): return storage.snapshot
        case .list(let items): return .array(items)
        case .value(let value): return value
        case .queue(let items): return .array(Array(items))
        case .lock(let holder): return holder.map { .string($0.node) } ?? .nil
        }
    }

    private static func count(_ container: StateContainer) -> Int {
        switch container {
        case .dictionary(let contents): return contents.count
        case .array(let storage): return storage.count
        case .list(let items): return items.count
        case .value: return 1
        case .queue(let items): return items.count
        case .lock(let holder): return holder == nil ? 0 : 1
        }
    }
}
