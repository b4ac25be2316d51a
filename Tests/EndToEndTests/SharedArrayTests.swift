import Subprocess
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// `shared-array`: two processes each set `temp[i] = 100 + i` in a shared Int32 array
    /// `[11, 22, 33, 44]` and print it; the parent joins both and prints the final array.
    @Suite struct SharedArray {
        @Test("each process prints the array with its own write; the final array has both")
        func output() async throws {
            let run = try await Example.run("shared-array")
            expectCleanExit(run)
            #expect(run.children.count <= 2, "expected at most 2 processes, saw \(run.children.sorted())")

            let lines = run.lines
            try #require(lines.count == 9, "unexpected output:\n\(run.output)")
            #expect(lines.last == "final: [100, 101, 33, 44]")

            // Each process prints its four lines in index order; the two processes' lines may
            // interleave, and whether one sees the other's write depends on which ran first.
            let first = lines.filter { $0.hasPrefix("0 -----> ") }
            let second = lines.filter { $0.hasPrefix("1 -----> ") }
            try #require(first.count == 4 && second.count == 4, "unexpected output:\n\(run.output)")
            #expect(first[0] == "0 -----> 100")
            #expect(["0 -----> 22", "0 -----> 101"].contains(first[1]), "\(first[1])")
            #expect(Array(first[2...]) == ["0 -----> 33", "0 -----> 44"])
            #expect(["1 -----> 11", "1 -----> 100"].contains(second[0]), "\(second[0])")
            #expect(Array(second[1...]) == ["1 -----> 101", "1 -----> 33", "1 -----> 44"])
            // Both processes cannot have missed each other's write: one of them wrote second
            // and took its snapshot after its own write.
            #expect(first[1] == "0 -----> 101" || second[0] == "1 -----> 100", "\(run.output)")
        }
    }
}
