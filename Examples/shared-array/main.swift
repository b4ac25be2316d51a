// The fourth of five Python `multiprocessing` programs ported to Troupe: a fixed-size
// shared array of Int32 [11, 22, 33, 44]; two processes each set temp[i] = 100 + i and
// print the whole array.
//
// Python:
//     temp = Array('i', [11, 22, 33, 44])
//     def Foo(i):
//         temp[i] = 100 + i
//         for item in temp: print(i, '----->', item)
//     for i in range(2): Process(target=Foo, args=(i,)).start()
import Troupe

/// The work of each process: write one element, then print the array.
distributed actor ArrayWriter: Worker {
    distributed func foo(_ i: Int, _ temp: SharedArray<Int32>) async throws {
        try await temp.set(i, to: Int32(100 + i))
        // One snapshot: the four elements as they were at one instant.
        for item in try await temp.snapshot() {
            print(i, "----->", item)
        }
    }
}

@main
struct SharedArrayExample {
    static func main() async throws {
        try await Troupe.bootstrap(workers: [ArrayWriter.self])

        // The owner of the array lives in this process; the workers get proxies to it.
        let manager = try Manager()
        let temp = try await manager.array([11, 22, 33, 44] as [Int32])

        var processes: [ActorProcess<ArrayWriter>] = []
        for i in 0..<2 {
            processes.append(try await ActorProcess.start(ArrayWriter.self) { try await $0.foo(i, temp) })
        }
        // The Python original never joins its processes; here the parent waits for both.
        for process in processes {
            await process.join()
        }
        print("final:", try await temp.snapshot())
    }
}
