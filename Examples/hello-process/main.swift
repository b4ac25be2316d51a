// The first of five Python `multiprocessing` programs ported to Troupe: one child process
// prints a message three times, a second apart; the parent waits for it (join) and prints
// "have done.".
//
// Python:
//     p = multiprocessing.Process(target=func, args=("hello",))
//     p.start(); p.join(); print("have done.")
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Troupe

/// The work of the child process.
distributed actor Greeter: Worker {
    /// Prints `message` three times, a second apart, beside this process's pid.
    distributed func run(_ message: String) async throws {
        for _ in 0..<3 {
            print("[child \(getpid())] \(message)")
            try await Task.sleep(for: .seconds(1))
        }
    }
}

@main
struct HelloProcess {
    static func main() async throws {
        // In the child this serves Greeter and never returns (Python's `__main__` guard).
        try await Troupe.bootstrap(workers: [Greeter.self])

        print("[parent \(getpid())] starting a child process")
        let process = try await ActorProcess.start(Greeter.self) { greeter in
            try await greeter.run("hello")
        }
        let status = await process.join()
        print("[parent \(getpid())] child \(process.pid) \(status.map { "\($0)" } ?? "is still running")")
        print("have done.")
    }
}
