import TroupePlatform

/// Wake-ups of other threads that a mailbox leader holds until it has run every job that
/// is ready: a batch of replies then wakes a task waiting on them once, not once per reply.
///
/// Only the leader thread that set it touches its batch.
final class LeaderBatch {
    private var deferred: [() -> Void] = []

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key, nil)
        precondition(result == 0, "pthread_key_create failed with error \(result)")
        return key
    }()

    /// Runs `body` when the calling thread's batch ends, or at once when it runs none.
    static func atEnd(_ body: @escaping () -> Void) {
        guard let raw = pthread_getspecific(key) else {
            body()
            return
        }
        Unmanaged<LeaderBatch>.fromOpaque(raw).takeUnretainedValue().deferred.append(body)
    }

    /// Makes this the calling thread's batch until ``end()``.
    func begin() {
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Ends the batch: runs what it held, in order.
    func end() {
        pthread_setspecific(Self.key, nil)
        guard !deferred.isEmpty else { return }
        let bodies = deferred
        deferred.removeAll(keepingCapacity: true)
        for body in bodies { body() }
    }
}
