import Synchronization

/// Records the target identifiers of the remote calls a task makes (for tests that need a
/// real target name to send hand-made calls to).
final class TargetRecorder: Sendable {
    @TaskLocal static var current: TargetRecorder?

    private let targets = Mutex<[String]>([])

    func record(_ target: String) {
        targets.withLock { $0.append(target) }
    }

    /// Runs `body` and returns the target of the first remote call it made.
    static func record(_ body: () async throws -> Void) async throws -> String {
        let recorder = TargetRecorder()
        try await $current.withValue(recorder) { try await body() }
        guard let first = recorder.targets.withLock({ $0.first }) else {
            throw TroupeError(.invalidState, "the body made no remote call")
        }
        return first
    }
}
