import TroupePlatform
import Troupe

/// Test set-up shared by the test targets.
public enum TestEnvironment {
    /// Points Troupe at the `TroupeTestWorker` executable built beside the test bundle.
    ///
    /// Under `swift test` the running binary is the test bundle, which cannot serve as a
    /// worker (running it again would run the tests again). `TroupeTestWorker` is an
    /// executable target of this package that bootstraps the test worker types.
    public static func useTestWorker() {
        Troupe.workerExecutable = path(ofSibling: "TroupeTestWorker")
    }

    /// The path of an executable built beside the test bundle (same build folder).
    public static func path(ofSibling name: String) -> String {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let length = readlink("/proc/self/exe", &buffer, 4096)
        let executable = length > 0 ? String(decoding: buffer[..<length], as: UTF8.self) : CommandLine.arguments[0]
        var directory = executable
        while let slash = directory.lastIndex(of: "/") {
            directory = String(directory[..<slash])
            if access(directory + "/" + name, X_OK) == 0 { return directory + "/" + name }
        }
        return name
    }
}
