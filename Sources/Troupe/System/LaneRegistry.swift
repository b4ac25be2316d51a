import Synchronization

/// Where a call on a pool's worker reference goes now.
enum LaneRoute: Sendable {
    /// To this peer, addressed to this actor there.
    case send(PeerAddress, actor: UInt64)
    /// Nowhere yet: the position's worker is being replaced; the call waits, parked.
    case wait
    /// It cannot be made.
    case fail(TroupeError)
}

/// A pool, as the actor system sees it: it tells where the calls on its worker references
/// go, and takes back the calls that must be sent elsewhere.
protocol LaneRouter: AnyObject, Sendable {
    /// Where a call on the reference of worker position `position` goes, made by `owner`
    /// (a task of this pool) or by code outside the pool (nil).
    func route(position: Int, owner: CallOwner?) -> LaneRoute
    /// A call of the task `owner` is parked: it never started where it was sent (or had
    /// nowhere to go); the pool sends it on with ``PendingCalls/takeForResending(_:to:actor:)``.
    func callParked(_ callID: UInt64, owner: CallOwner)
    /// Called every mailbox tick.
    func tick(now: ContinuousClock.Instant)
}

/// The pools of this process, by number, and the worker references (lanes) that lead to them.
///
/// A pool hands its work a reference per worker position, not per process: calls on it go to
/// whatever process serves that position now, so that a call that never started on a dead
/// worker can be sent again to another without the work noticing.
final class LaneRegistry: Sendable {
    private final class Entry: Sendable {
        weak let router: (any LaneRouter)?
        init(_ router: any LaneRouter) { self.router = router }
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    private let lastPool = Atomic<UInt64>(0)

    /// A number for a new pool.
    func nextNumber() -> UInt64 {
        lastPool.add(1, ordering: .relaxed).newValue
    }

    /// Registers the pool numbered `pool`.
    func register(_ router: any LaneRouter, as pool: UInt64) {
        entries.withLock { $0[pool] = Entry(router) }
    }

    /// Forgets a pool.
    func unregister(_ pool: UInt64) {
        _ = entries.withLock { $0.removeValue(forKey: pool) }
    }

    /// The pool numbered `pool`, while it lives.
    func router(for pool: UInt64) -> (any LaneRouter)? {
        entries.withLock { $0[pool]?.router }
    }

    /// Lets every pool check its deadlines.
    func tick(now: ContinuousClock.Instant) {
        let routers = entries.withLock { $0.values.compactMap(\.router) }
        for router in routers { router.tick(now: now) }
    }

    /// Lane references carry their pool and position in the actor number, above this bit;
    /// actor numbers of real actors stay below it.
    private static let laneBit: UInt64 = 1 << 63

    /// The identity of the reference to worker position `position` of pool `pool` in `node`.
    static func laneID(pool: UInt64, position: Int, node: String) -> TroupeActorID {
        TroupeActorID(node: node, number: laneBit | pool << 24 | UInt64(position))
    }

    /// The pool and position a lane identity names, when it is one of `node`'s.
    static func lane(of id: TroupeActorID, in node: String) -> (pool: UInt64, position: Int)? {
        guard id.number & laneBit != 0, id.node == node else { return nil }
        return ((id.number & ~laneBit) >> 24, Int(id.number & (1 << 24 - 1)))
    }
}
