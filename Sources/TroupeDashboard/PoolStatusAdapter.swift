import TroupePlatform
import Synchronization
@_spi(Observability) import Troupe

/// A local pool's status in the shape of a supervisor's, so that one page shows both. All
/// that depends on the shape of `PoolStatus` is here.
final class PoolStatusAdapter<W: Worker>: Sendable {
    private let pool: Pool<W>
    private let manager: Manager?
    private let service = String(reflecting: W.self)
    private let host: String
    /// What finished lately, from the growth of the workers' counts between readings.
    private let progress = Mutex((activity: TaskActivity(), done: 0))

    init(pool: Pool<W>, manager: Manager?) {
        self.pool = pool
        self.manager = manager
        var name = [CChar](repeating: 0, count: 256)
        host = gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
    }

    func status() -> BrokerStatus {
        let status = pool.status()
        let now = ContinuousClock.now
        let done = status.workers.reduce(0) { $0 + $1.tasksDone }
        let (tasksPerSecond, activity) = progress.withLock { progress in
            progress.activity.recordCompleted(max(0, done - progress.done), at: now)
            progress.done = done
            return (progress.activity.tasksPerSecond(at: now), progress.activity.intervals(at: now))
        }
        let workers = status.workers.map { worker in
            BrokerStatus.Worker(
                node: "worker \(worker.position)", pid: Int64(worker.pid ?? 0), host: host, address: "local",
                services: [service], state: worker.state.rawValue, tasksDone: worker.tasksDone, lastHeardMilliseconds: 0,
                restarts: worker.restarts, lastExit: worker.lastExit?.description,
                residentBytes: worker.pid.flatMap { ResidentMemory.bytes(of: Int64($0)) })
        }
        return BrokerStatus(
            endpoint: "local pool of \(status.workers.count) \(service)", phase: status.phase.rawValue, secure: false,
            workers: workers, queued: status.queued > 0 ? [service: status.queued] : [:], running: status.running,
            completed: done, tasksPerSecond: tasksPerSecond, activity: activity,
            containers: manager?.containerSizes())
    }
}
