import Troupe

/// Sources/Troupe/Troupe.docc/SharedState.md
enum SharedStateArticle {
    /// The first two blocks, one program: the worker type is declared in it.
    static func overview() async throws {
        try await Troupe.bootstrap(workers: [DictWriter.self])

        let manager = try Manager()                                     // the owner: this process
        let dic: SharedDictionary<Int, Int> = try await manager.dictionary()
        let temp = try await manager.array([11, 22, 33, 44] as [Int32])  // Python: Array('i', [...])

        distributed actor DictWriter: Worker {
            distributed func foo(_ i: Int, _ dic: SharedDictionary<Int, Int>) async throws {
                try await dic.set(i, to: 100 + i)
                print(try await dic.values())
            }
        }

        for i in 0..<2 {
            let process = try await ActorProcess.start(DictWriter.self) { try await $0.foo(i, dic) }
            await process.join()
        }
        print(try await dic.values())
        _ = temp
    }

    static func lock(manager: Manager, accounts: SharedDictionary<String, Int>) async throws {
        let lock = try await manager.lock()
        try await lock.withLock {
            let balance = try await accounts["alice"] ?? 0
            try await accounts.set("alice", to: balance - 10)
            try await accounts.set("bob", to: (try await accounts["bob"] ?? 0) + 10)
        }
    }
}
