import TroupePlatform
import CTroupeShims

/// Where a worker process records the call it is about to start, so that its parent can
/// still read it after the worker died: a shared page, one file per worker in the parent's
/// private run directory.
///
/// The worker stores each call's id *before* the call starts. Since a worker runs calls
/// one at a time in the order they arrived, the parent knows after a death exactly which of
/// the calls it had sent were started (that call and the ones before it) and which never
/// were (the ones after it): those go back to the pool's queue, as if never sent.
final class CallProgress: Sendable {
    /// The environment variable that gives a worker its page's path.
    static let pathVariable = "TROUPE_WORKER_PROGRESS"

    /// The page's path.
    let path: String
    private let address: Int
    private let owner: Bool

    private init(path: String, address: UnsafeMutablePointer<UInt64>, owner: Bool) {
        self.path = path
        self.address = Int(bitPattern: address)
        self.owner = owner
    }

    deinit {
        troupe_unmap_progress(pointer)
        if owner { unlink(path) }
    }

    private var pointer: UnsafeMutablePointer<UInt64> { UnsafeMutablePointer(bitPattern: address)! }

    /// Creates the page for a worker about to start (the parent's side; removed with the value).
    /// - Throws: ``TroupeError`` `.system` when the file cannot be made.
    static func create(at path: String) throws -> CallProgress {
        guard let address = troupe_map_progress(path, 1) else {
            throw TroupeError(.system, "cannot create the call-progress page \(path): \(systemErrorText())", context: ["path": path])
        }
        return CallProgress(path: path, address: UnsafeMutablePointer(mutating: address), owner: true)
    }

    /// Opens the page the parent made for this worker process, if it made one.
    static func attach(path: String) -> CallProgress? {
        guard let address = troupe_map_progress(path, 0) else { return nil }
        return CallProgress(path: path, address: UnsafeMutablePointer(mutating: address), owner: false)
    }

    /// Records that the call `callID` starts now (the worker's side).
    func recordStart(of callID: UInt64) {
        troupe_store_progress(pointer, callID)
    }

    /// The id of the last call the worker started, or 0 when it started none.
    var lastStarted: UInt64 {
        troupe_load_progress(pointer)
    }
}
