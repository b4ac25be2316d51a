import Distributed
import Synchronization

/// The distributed actors that live in this process, by number.
final class ActorRegistry: Sendable {
    private final class Entry: Sendable {
        weak let actor: (any DistributedActor)?
        init(_ actor: any DistributedActor) { self.actor = actor }
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    private let lastNumber = Atomic<UInt64>(0)

    /// A number for a new actor; never 0, which addresses the system itself.
    func nextNumber() -> UInt64 {
        lastNumber.add(1, ordering: .relaxed).newValue
    }

    /// Makes `actor` reachable as `number`.
    func add(_ actor: any DistributedActor, number: UInt64) {
        entries.withLock { $0[number] = Entry(actor) }
    }

    /// Forgets the actor `number`.
    func remove(number: UInt64) {
        _ = entries.withLock { $0.removeValue(forKey: number) }
    }

    /// The live actor `number`, if there is one.
    func actor(number: UInt64) -> (any DistributedActor)? {
        entries.withLock { $0[number]?.actor }
    }
}
