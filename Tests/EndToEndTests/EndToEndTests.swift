import Subprocess
import Testing
import TroupeTestSupport

/// End-to-end tests: each runs a built example binary as a user would from a shell and checks
/// what that user would see (its output, its exit status, the processes it leaves behind).
///
/// One serialized suite, with a nested suite per example: the examples start several
/// processes each and the machine has two cores, and the checks for leftover processes look
/// at every process running an example's binary, so no two examples run at once.
/// The examples sleep by design (1 to 3 s per task); no test asserts on elapsed time.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct EndToEndTests {}

/// The checks every example must pass once it has run to its end: exit status 0, nothing on
/// standard error, and nothing left behind (no live process it started, no process running
/// its binary, no run directory or ipc socket file).
func expectCleanExit(_ run: ExampleRun, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.status == .exited(0), "\(run.name) ended with \(run.status)", sourceLocation: sourceLocation)
    #expect(run.error == "", "\(run.name) wrote to standard error", sourceLocation: sourceLocation)
    #expect(run.survivingChildren == [], "\(run.name) left child processes alive", sourceLocation: sourceLocation)
    #expect(Example.processes(running: run.binary) == [],
            "processes running \(run.name) are left after it exited", sourceLocation: sourceLocation)
    #expect(run.leftoverFiles == [], "\(run.name) left files in its TMPDIR", sourceLocation: sourceLocation)
}
