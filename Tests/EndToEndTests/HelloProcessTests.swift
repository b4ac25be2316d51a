import Subprocess
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// `hello-process`: one child prints `hello` three times; the parent joins it.
    @Suite struct HelloProcess {
        @Test("prints hello three times from one child, then have done., and exits cleanly")
        func output() async throws {
            let run = try await Example.run("hello-process")
            expectCleanExit(run)

            let lines = run.lines
            try #require(lines.count == 6, "unexpected output:\n\(run.output)")
            let parent = run.pid
            #expect(lines[0] == "[parent \(parent)] starting a child process")

            // The three hello lines come from one process, which is not the parent but its child.
            let helloLines = Array(lines[1...3])
            let helloPIDs = helloLines.compactMap { pid(in: $0, after: "[child ", before: "] hello") }
            try #require(helloPIDs.count == 3 && Set(helloPIDs).count == 1, "hello lines: \(helloLines)")
            let child = helloPIDs[0]
            #expect(child != parent)
            #expect(run.children.contains(child), "pid \(child) was never a child of \(parent)")
            #expect(lines[4] == "[parent \(parent)] child \(child) exited with code 0")
            #expect(lines[5] == "have done.")
            #expect(!ProcessTable.isAlive(child))
        }

        /// The number between `prefix` and `suffix` in `line`, if the line is exactly that.
        private func pid(in line: String, after prefix: String, before suffix: String) -> Int32? {
            guard line.hasPrefix(prefix), line.hasSuffix(suffix) else { return nil }
            return Int32(line.dropFirst(prefix.count).dropLast(suffix.count))
        }
    }
}
