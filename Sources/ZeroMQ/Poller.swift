internal import TroupePlatform
internal import CZeroMQ

/// Waits on several sockets and plain file descriptors (an eventfd, a pidfd, a pipe)
/// together (`zmq_poll`).
///
/// Register items once, then call ``poll(timeout:)`` as often as needed: the item array
/// is kept and reused, so a poll allocates nothing. After a poll, read each item's
/// ``returnedEvents(at:)``. The poller keeps its sockets alive but does not own them;
/// like them it belongs to one thread (not `Sendable`).
///
/// ```swift
/// let poller = Poller()
/// let requests = poller.add(router, events: .readable)
/// let wakeups = poller.add(fileDescriptor: eventFD, events: .readable)
/// while try poller.poll(timeout: .seconds(1)) >= 0 {
///     if poller.returnedEvents(at: requests).contains(.readable) { … }
///     if poller.returnedEvents(at: wakeups).contains(.readable) { … }
/// }
/// ```
public final class Poller {
    /// The `zmq_pollitem_t`s passed to `zmq_poll`.
    private var items: [zmq_pollitem_t] = []

    /// The socket of each item (`nil` for file descriptors), kept alive while registered.
    private var sockets: [Socket?] = []

    /// Creates an empty poller.
    ///
    /// - Parameter capacity: How many items to reserve room for.
    public init(capacity: Int = 4) {
        items.reserveCapacity(capacity)
        sockets.reserveCapacity(capacity)
    }

    /// The number of registered items.
    public var count: Int { items.count }

    /// Registers a socket.
    ///
    /// - Parameters:
    ///   - socket: The socket; it must belong to the thread that polls.
    ///   - events: What to wait for (usually ``PollEvents/readable``).
    /// - Returns: The item's index, for ``returnedEvents(at:)``.
    @discardableResult
    public func add(_ socket: Socket, events: PollEvents = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: -1, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Registers a file descriptor, polled with `poll(2)` semantics.
    ///
    /// - Parameters:
    ///   - fileDescriptor: The descriptor; the caller keeps it open while registered.
    ///   - events: What to wait for (``PollEvents/readable``, ``PollEvents/writable``,
    ///     ``PollEvents/priority``; errors are always reported).
    /// - Returns: The item's index, for ``returnedEvents(at:)``.
    @discardableResult
    public func add(fileDescriptor: Int32, events: PollEvents = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Changes what an item waits for; an empty set makes the poll ignore it.
    ///
    /// - Parameters:
    ///   - events: The new conditions.
    ///   - index: The index returned by `add`.
    public func setEvents(_ events: PollEvents, at index: Int) {
        items[index].events = events.rawValue
    }

    /// What an item waits for.
    ///
    /// - Parameter index: The index returned by `add`.
    /// - Returns: The conditions it was registered with.
    public func events(at index: Int) -> PollEvents {
        PollEvents(rawValue: items[index].events)
    }

    /// Which of its conditions an item met in the last ``poll(timeout:)``.
    ///
    /// - Parameter index: The index returned by `add`.
    /// - Returns: The conditions met (empty when none, or before any poll).
    public func returnedEvents(at index: Int) -> PollEvents {
        PollEvents(rawValue: items[index].revents)
    }

    /// Removes every item (and releases the sockets), keeping the storage.
    public func removeAll() {
        items.removeAll(keepingCapacity: true)
        sockets.removeAll(keepingCapacity: true)
    }

    /// Waits until at least one item is ready or the timeout expires.
    ///
    /// - Parameter timeout: How long to wait: `.zero` checks and returns at once; `nil`
    ///   waits forever.
    /// - Returns: The number of items with at least one condition met (0 on timeout).
    /// - Throws: ``ZMQError``: ``ZMQError/isTerminated`` when a polled socket's context
    ///   was shut down, ``ZMQError/isClosedSocket`` when a registered socket was closed.
    @discardableResult
    public func poll(timeout: Duration?) throws -> Int {
        guard let timeout else { return try poll(milliseconds: -1) }
        let milliseconds = Socket.Timeout(timeout).milliseconds
        return try poll(milliseconds: Int(milliseconds))
    }

    /// Waits until at least one item is ready or the timeout expires. Retries by itself,
    /// with the time left, when a signal interrupts the wait.
    ///
    /// - Parameter milliseconds: How long to wait: `0` checks and returns at once; `-1`
    ///   (any negative value) waits forever.
    /// - Returns: The number of items with at least one condition met (0 on timeout).
    /// - Throws: ``ZMQError``, as ``poll(timeout:)``.
    @discardableResult
    public func poll(milliseconds: Int) throws -> Int {
        for index in sockets.indices {
            guard let socket = sockets[index] else { continue }
            guard let handle = socket.handle else {
                throw ZMQError.closedSocket("zmq_poll(item \(index), \(socket.type))")
            }
            items[index].socket = handle
        }
        let clock = ContinuousClock()
        let deadline = milliseconds > 0 ? clock.now.advanced(by: .milliseconds(milliseconds)) : nil
        var wait = milliseconds < 0 ? -1 : milliseconds
        while true {
            let ready = items.withUnsafeMutableBufferPointer { buffer in
                zmq_poll(buffer.baseAddress, Int32(buffer.count), wait)
            }
            if ready >= 0 { return Int(ready) }
            let code = zmq_errno()
            guard code == EINTR else { throw ZMQError(code: code, operation: "zmq_poll(\(items.count) items)") }
            if let deadline {
                let left = clock.now.duration(to: deadline)
                wait = left <= .zero ? 0 : Int(Socket.Timeout(left).milliseconds)
            }
        }
    }
}
