import TroupePlatform
import Synchronization
import Testing
import ZeroMQ

// MARK: - Errors

/// A failure of the test harness itself (a timeout, an unexpected message).
struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

// MARK: - Waiting for conditions

/// Checks `condition` until it holds or `seconds` pass; waits on the condition, never
/// asserts on elapsed time.
///
/// - Returns: Whether the condition became true in time.
func eventually(within seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
    while clock.now < deadline {
        if try condition() { return true }
        usleep(1000)
    }
    return try condition()
}

// MARK: - Threads

/// A plain POSIX thread running a closure, the way the framework will own a socket on a
/// dedicated thread. The closure is `sending`: whatever it captures (a `Socket`) is handed
/// over, and the compiler rejects further use on the spawning side.
final class TestThread: Sendable {
    private let finished = Atomic<Bool>(false)
    private let failure = Mutex<(any Error)?>(nil)
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    /// Starts `body` on a new thread.
    init(_ body: sending @escaping () throws -> Void) {
        final class Start {
            let body: () throws -> Void
            let owner: TestThread
            init(body: @escaping () throws -> Void, owner: TestThread) {
                self.body = body
                self.owner = owner
            }
        }
        let start = Unmanaged.passRetained(Start(body: body, owner: self)).toOpaque()
        #if canImport(Darwin)
        var id: pthread_t? = nil
        #else
        var id = pthread_t()
        #endif
        let status = pthread_create(
            &id, nil,
            { argument in
                guard let argument else { return nil }
                let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
                do {
                    try start.body()
                } catch {
                    start.owner.failure.withLock { $0 = error }
                }
                start.owner.finished.store(true, ordering: .releasing)
                return nil
            }, start)
        precondition(status == 0, "pthread_create failed: \(status)")
        thread.withLock { $0 = id }
    }

    /// Whether the body has returned.
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Waits for the body to return, then rethrows what it threw.
    func join(within seconds: Double = 20) throws {
        guard eventually(within: seconds, { isFinished }) else {
            throw TestFailure("thread did not finish within \(seconds) s")
        }
        if let id = thread.withLock({ $0 }) {
            pthread_join(id, nil)
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}

// MARK: - Endpoints

/// The transports the round-trip tests run over.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inproc, ipc, tcp
    var testDescription: String { rawValue }
}

/// A private directory (mode 0700) for `ipc://` endpoints, removed with its files by
/// ``remove()``.
final class TemporaryDirectory: Sendable {
    let path: String
    private let counter = Atomic<Int>(0)

    init() throws {
        var template = Array("/tmp/zeromq-tests.XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw TestFailure("mkdtemp failed: errno \(errno)") }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        chmod(path, 0o700)
    }

    /// A fresh `ipc://` endpoint inside the directory.
    func ipcEndpoint(_ name: String = "socket") -> String {
        let number = counter.add(1, ordering: .relaxed).newValue
        return "ipc://\(path)/\(name)-\(number).ipc"
    }

    /// Removes the directory and everything in it.
    func remove() {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink("\(path)/\(name)") }
            }
            closedir(directory)
        }
        rmdir(path)
    }

    deinit {
        remove()
    }
}

/// A unique `inproc://` endpoint.
func inprocEndpoint(_ name: String = "test") -> String {
    "inproc://\(name)-\(UInt64.random(in: 0...UInt64.max))"
}

/// Binds `server` on a fresh endpoint of `transport`.
///
/// - Returns: The resolved endpoint (the real port for tcp).
func bind(_ server: Socket, over transport: Transport, in directory: TemporaryDirectory) throws -> String {
    switch transport {
    case .inproc:
        let endpoint = inprocEndpoint()
        try server.bind(endpoint)
        return endpoint
    case .ipc:
        let endpoint = directory.ipcEndpoint()
        try server.bind(endpoint)
        return endpoint
    case .tcp:
        try server.bind("tcp://127.0.0.1:*")
        guard let endpoint = try server.lastEndpoint else { throw TestFailure("no lastEndpoint after bind") }
        return endpoint
    }
}

/// Makes a socket with linger 0 and send/receive timeouts, so that a failing test never
/// hangs.
func makeSocket(_ context: Context, _ type: SocketType, receiveTimeout: Socket.Timeout = .seconds(10)) throws -> Socket {
    let socket = try Socket(context, type: type)
    try socket.set(.linger, .zero)
    try socket.set(.receiveTimeout, receiveTimeout)
    try socket.set(.sendTimeout, .seconds(10))
    return socket
}

// MARK: - eventfd

/// `eventfd(2)`, looked up at run time (the Glibc module does not export it).
func makeEventFD() throws -> Int32 {
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "eventfd") else {
        throw TestFailure("eventfd is not available")
    }
    let fd = unsafeBitCast(symbol, to: EventFD.self)(0, O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw TestFailure("eventfd failed: errno \(errno)") }
    return fd
}

/// Adds `value` to an eventfd counter.
func signal(eventFD fd: Int32, _ value: UInt64 = 1) {
    var value = value
    _ = write(fd, &value, 8)
}

/// Reads (and resets) an eventfd counter; 0 when it was not signalled.
func drain(eventFD fd: Int32) -> UInt64 {
    var value: UInt64 = 0
    return read(fd, &value, 8) == 8 ? value : 0
}

// MARK: - Flags

/// A one-way flag shared between the test and a thread, e.g. "the client has every reply,
/// you may close now" (closing right after a send can lose it, libzmq issue #4660).
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Waits until the flag is set.
    func wait(within seconds: Double = 20) throws {
        guard eventually(within: seconds, { isSet }) else { throw TestFailure("flag not set within \(seconds) s") }
    }
}
