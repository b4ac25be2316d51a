import Troupe

/// Sources/Troupe/Troupe.docc/ProcessesAndBootstrap.md
enum ProcessesAndBootstrapArticle {
    distributed actor Greeter: Worker {
        distributed func greet(_ name: String) -> String { "hello, \(name)" }
    }

    public distributed actor Resizer: Worker {
        public init(actorSystem: ActorSystem) {
            self.actorSystem = actorSystem
        }
        public distributed func resize(_ image: [UInt8], to width: Int) -> [UInt8] {
            Array(image.prefix(width))   // stands for the real work
        }
    }

    struct App {
        static func main() async throws {
            try await Troupe.bootstrap(workers: [Greeter.self, Resizer.self])
            // Only the parent gets here.
        }
    }

    static func process() async throws {
        // Python: p = Process(target=func, args=("hello",)); p.start(); p.join()
        let process = try await ActorProcess.start(Greeter.self) { greeter in
            print(try await greeter.greet("hello"))
        }
        let status = await process.join()     // .exited(code: 0)
        _ = status
    }

    static func processKept() async throws {
        let process = try await ActorProcess.start(Greeter.self)
        print(try await process.actor.greet("again"))
        await process.stop()   // asks it to leave, then SIGTERM, then SIGKILL
    }
}
