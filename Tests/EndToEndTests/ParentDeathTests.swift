import TroupePlatform
import Subprocess
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// A parent that dies while its workers run never leaves them behind: killed with
    /// `kill -9` (nothing runs in the parent; the kernel's parent-death signal and the
    /// workers' own watch must act), or stopped with SIGTERM or Ctrl-C.
    @Suite struct ParentDeath {
        @Test("kill -9 of pool-results while its 4 workers run its tasks: every worker dies")
        func killedPoolParent() async throws {
            let run = try #require(try await Example.interrupt("pool-results", with: .kill) { progress in
                progress.children.count == 4 && progress.lines.filter { $0.hasPrefix("msg : ") }.count == 3
            }, "pool-results ended before its workers started its tasks")
            #expect(run.status == .signaled(SIGKILL))
            #expect(run.workers.count == 4)
            // Workers are the example's own binary started again: the scan by executable that
            // checks for leftovers sees them.
            #expect(Set(run.runningBinary) == Set(run.workers + [run.pid]))
            await expectNothingLeft(of: run)
            // The tasks were cut short: no result was printed.
            #expect(!run.output.contains("multi_result"), "\(run.output)")
        }

        @Test("kill -9 of manager-dict while a child uses the shared dictionary: the child dies")
        func killedManagerParent() async throws {
            // Each child lives only a moment; try again when the example ends before one is seen.
            let run = try #require(try await Example.interrupt("manager-dict", attempts: 5, with: .kill) {
                !$0.children.isEmpty
            }, "manager-dict ended five times before a child process was seen")
            #expect(run.status == .signaled(SIGKILL))
            await expectNothingLeft(of: run)
        }

        @Test("kill -9 of shared-array while its children use the shared array: they die")
        func killedSharedArrayParent() async throws {
            let run = try #require(try await Example.interrupt("shared-array", attempts: 5, with: .kill) {
                !$0.children.isEmpty
            }, "shared-array ended five times before a child process was seen")
            #expect(run.status == .signaled(SIGKILL))
            await expectNothingLeft(of: run)
        }

        @Test("SIGTERM to pool-results while its workers run: every worker is gone afterwards")
        func terminatedPoolParent() async throws {
            let run = try #require(try await Example.interrupt("pool-results", with: .terminate) { progress in
                progress.children.count == 4 && progress.lines.filter { $0.hasPrefix("msg : ") }.count == 3
            }, "pool-results ended before its workers started its tasks")
            #expect(run.workers.count == 4)
            await expectNothingLeft(of: run)
            // The parent stops its workers, removes its run directory, and ends by the signal.
            #expect(run.status == .signaled(SIGTERM), "stderr:\n\(run.error)")
            #expect(run.leftoverFiles == [])
        }

        @Test("Ctrl-C (SIGINT to the process group) of pool-async: every worker is gone afterwards")
        func interruptedPoolParent() async throws {
            let run = try #require(try await Example.interrupt("pool-async", with: .interrupt, toProcessGroup: true) { progress in
                progress.children.count == 5 && progress.lines.contains("hello 0 *** in func")
            }, "pool-async ended before its workers started its tasks")
            #expect(run.workers.count == 5)
            await expectNothingLeft(of: run)
            #expect(run.status == .signaled(SIGINT), "stderr:\n\(run.error)")
            #expect(run.leftoverFiles == [])
            #expect(!run.output.contains("have done."), "\(run.output)")
        }

        /// Checks, waiting a while, that no worker of `run` and no process running its
        /// binary is alive.
        private func expectNothingLeft(of run: InterruptedRun, sourceLocation: SourceLocation = #_sourceLocation) async {
            let workersGone = await eventually { run.survivingWorkers.isEmpty }
            #expect(workersGone, "workers of \(run.name) still alive: \(run.survivingWorkers); stderr:\n\(run.error)",
                    sourceLocation: sourceLocation)
            let binaryGone = await eventually { Example.processes(running: run.binary).isEmpty }
            #expect(binaryGone, "processes running \(run.name) still alive: \(Example.processes(running: run.binary))",
                    sourceLocation: sourceLocation)
        }
    }
}
