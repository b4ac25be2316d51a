import Subprocess
import Testing
import TroupeTestSupport

extension EndToEndTests {
    /// `manager-dict`: two processes, one after the other, set `dic[i] = 100 + i` in a
    /// shared dictionary and print its values; then the parent prints them.
    @Suite struct ManagerDict {
        @Test("prints [100], [100, 101], [100, 101]")
        func output() async throws {
            let run = try await Example.run("manager-dict")
            expectCleanExit(run)
            #expect(run.children.count <= 2, "expected at most 2 processes, saw \(run.children.sorted())")
            #expect(run.lines == ["[100]", "[100, 101]", "[100, 101]"])
        }
    }
}
