// The fifth of five Python `multiprocessing` programs ported to Troupe: a shared dictionary
// from a manager; two processes, one after the other, set dic[i] = 100 + i and print its
// values; then the parent prints them.
//
// Python:
//     manage = Manager(); dic = manage.dict()
//     def Foo(i):
//         dic[i] = 100 + i
//         print(dic.values())
//     for i in range(2):
//         p = Process(target=Foo, args=(i,)); p.start(); p.join()
import Troupe

/// The work of each process: set one entry, then print every value.
distributed actor DictWriter: Worker {
    distributed func foo(_ i: Int, _ dic: SharedDictionary<Int, Int>) async throws {
        try await dic.set(i, to: 100 + i)
        print(try await dic.values())
    }
}

@main
struct ManagerDictExample {
    static func main() async throws {
        // Everything that starts processes or state comes after the bootstrap (the Python
        // original creates its Manager before its main guard).
        try await Troupe.bootstrap(workers: [DictWriter.self])

        let manager = try Manager()
        let dic: SharedDictionary<Int, Int> = try await manager.dictionary()

        for i in 0..<2 {
            let process = try await ActorProcess.start(DictWriter.self) { try await $0.foo(i, dic) }
            await process.join()
        }
        print(try await dic.values())
    }
}
