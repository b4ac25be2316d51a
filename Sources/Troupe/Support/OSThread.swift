import TroupePlatform
import CTroupeShims

/// A dedicated operating-system thread, outside Swift's cooperative pool.
///
/// Blocking calls (zmq_poll, poll on pidfds) belong on threads like this one: the cooperative
/// pool has only as many threads as cores, and a blocked one stalls every task behind it.
enum OSThread {
    private final class Body {
        let name: String
        let run: () -> Void
        init(name: String, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts a detached thread running `body`.
    /// - Parameters:
    ///   - name: the thread's name as `ps -L` and debuggers show it (at most 15 bytes on Linux).
    ///   - body: the work, handed over to the new thread, which ends when it returns.
    static func start(name: String, _ body: sending @escaping () -> Void) {
        let box = Unmanaged.passRetained(Body(name: name, body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let body = Unmanaged<Body>.fromOpaque(raw).takeRetainedValue()
            troupe_set_thread_name(body.name)
            body.run()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed with error \(result)")
        pthread_detach(thread)
    }
}
