import Subprocess
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// `pool-async`: a pool of 5 runs three tasks with `applyAsync`, or one by one with
    /// `apply` under `--sync`; then close, join and `have done.`.
    @Suite struct PoolAsync {
        @Test("applyAsync: every task prints its line, after its number; have done. comes last")
        func asynchronous() async throws {
            let run = try await Example.run("pool-async")
            expectCleanExit(run)
            #expect(run.children.count == 5, "expected 5 worker processes, saw \(run.children.sorted())")

            let lines = run.lines
            // The tasks run at once, so worker lines and the parent's numbers interleave.
            #expect(lines.sorted() == [
                "0", "1", "2", "have done.",
                "hello 0 *** in func", "hello 1 *** in func", "hello 2 *** in func",
            ])
            #expect(lines.filter { $0.count == 1 } == ["0", "1", "2"])
            for n in 0..<3 {
                // A task is submitted only after its number is printed.
                if let number = lines.firstIndex(of: "\(n)"),
                   let task = lines.firstIndex(of: "hello \(n) *** in func") {
                    #expect(number < task, "task \(n) printed before its number:\n\(run.output)")
                }
            }
            #expect(lines.last == "have done.")
        }

        @Test("--sync (apply): each task runs after its number and before the next one")
        func synchronous() async throws {
            let run = try await Example.run("pool-async", arguments: ["--sync"])
            expectCleanExit(run)
            #expect(run.children.count == 5, "expected 5 worker processes, saw \(run.children.sorted())")
            #expect(run.lines == [
                "0", "hello 0 *** in func",
                "1", "hello 1 *** in func",
                "2", "hello 2 *** in func",
                "have done.",
            ])
        }
    }
}
