import TroupePlatform
import CTroupeShims

/// Ties a worker's life to its parent's: when the parent dies, even by `kill -9`, the worker
/// is killed too. Everything platform-specific about it lives here.
///
/// On Linux the kernel does it (`PR_SET_PDEATHSIG`); the parent could have died before the
/// child asked, so the child then checks that its parent is still the one that started it.
/// Other systems would watch the parent (kqueue `NOTE_EXIT` on macOS); until then they rely
/// on the parent's heartbeat.
enum ParentLifeline {
    /// Arranges for this process to be killed when its parent dies.
    /// - Parameter parent: the pid of the process that started this one.
    /// - Returns: false when the parent is already gone; the caller should exit.
    static func bind(toParent parent: Int32) -> Bool {
        #if os(Linux)
        _ = troupe_set_parent_death_signal(SIGKILL)
        #endif
        return isAlive(parent: parent)
    }

    /// Whether the parent that started this process is still its parent: checked by the
    /// worker's mailbox thread every tick, in case the parent-death signal cannot act (a
    /// worker stuck in a crash handler has been seen to survive it).
    static func isAlive(parent: Int32) -> Bool {
        getppid() == parent
    }

    /// Ends this process at once, without running exit handlers (the parent is gone).
    static func exitOrphan() -> Never {
        _exit(WorkerHost.orphanExitCode)
    }
}
