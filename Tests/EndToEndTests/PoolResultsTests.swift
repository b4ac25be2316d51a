import Subprocess
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// `pool-results`: a pool of 4 runs three tasks; their results are printed in order
    /// once the pool is closed and joined.
    @Suite struct PoolResults {
        @Test("prints each task's lines, then the three results in order, then have done.")
        func output() async throws {
            let run = try await Example.run("pool-results")
            expectCleanExit(run)
            #expect(run.children.count == 4, "expected 4 worker processes, saw \(run.children.sorted())")

            let lines = run.lines
            try #require(lines.count == 10, "unexpected output:\n\(run.output)")
            // The three tasks run at once: their lines come in any order.
            #expect(lines[..<6].sorted() == [
                "end", "end", "end", "msg : hello 0", "msg : hello 1", "msg : hello 2",
            ])
            // get() is called on the results in the order the tasks were submitted.
            #expect(Array(lines[6...]) == [
                "multi_result : hello 0",
                "multi_result : hello 1",
                "multi_result : hello 2",
                "have done.",
            ])
        }
    }
}
