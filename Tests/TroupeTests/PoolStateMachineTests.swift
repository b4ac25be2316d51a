import Testing
@_spi(Testing) @testable import Troupe

/// The pool's decisions alone: events in, actions out, no process, task or clock.
struct PoolStateMachineTests {
    typealias Action = PoolStateMachine.Action

    static func configuration(positions: Int = 2, depth: Int = 4, maxTasksPerChild: Int? = nil,
                              intensity: RestartIntensity = RestartIntensity(maxRestarts: 2, period: .seconds(10))) -> PoolStateMachine.Configuration {
        PoolStateMachine.Configuration(positions: positions, maxTasksPerChild: maxTasksPerChild, pipelineDepth: depth,
                                       slowTaskLimit: .milliseconds(5), restartIntensity: intensity, maxRetries: 2,
                                       ownsProcesses: true)
    }

    /// A machine whose workers are all ready.
    static func ready(_ configuration: PoolStateMachine.Configuration = configuration()) -> PoolStateMachine {
        var machine = PoolStateMachine(configuration)
        for position in 0..<configuration.positions {
            _ = machine.workerStarted(position: position, pid: Int32(100 + position))
        }
        return machine
    }

    static func runs(_ actions: [Action]) -> [(PoolStateMachine.JobID, Int)] {
        actions.compactMap { if case .run(let id, let position) = $0 { return (id, position) } else { return nil } }
    }

    @Test func workIsSpreadOverTheLeastLoadedWorkersUpToTheDepth() throws {
        var machine = Self.ready()
        var positions: [Int] = []
        for _ in 0..<10 {
            let (_, actions) = try machine.submit(retryable: false)
            positions += Self.runs(actions).map(\.1)
        }
        // Two workers, four each at most: eight run, two wait.
        #expect(positions == [0, 1, 0, 1, 0, 1, 0, 1])
        #expect(machine.queuedCount == 2)
        #expect(machine.runningCount == 8)
    }

    @Test func anEndedTaskIsDeliveredAndMakesRoomForTheNext() throws {
        var machine = Self.ready(Self.configuration(positions: 1, depth: 1))
        let (first, _) = try machine.submit(retryable: false)
        let (second, queued) = try machine.submit(retryable: false)
        #expect(Self.runs(queued).isEmpty)
        let actions = machine.jobEnded(first, .succeeded)
        #expect(actions.contains(.deliver(first)))
        #expect(Self.runs(actions).map(\.0) == [second])
    }

    @Test func aRetryableTaskWhoseWorkerDiedRunsAgainAndOthersDoNot() throws {
        var machine = Self.ready(Self.configuration(positions: 1, depth: 1))
        let (retryable, _) = try machine.submit(retryable: true)
        let again = machine.jobEnded(retryable, .workerDied)
        #expect(Self.runs(again).map(\.0) == [retryable])
        #expect(!again.contains(.deliver(retryable)))
        // Two retries allowed, then the failure is delivered.
        _ = machine.jobEnded(retryable, .workerDied)
        #expect(machine.jobEnded(retryable, .workerDied).contains(.deliver(retryable)))

        let (plain, _) = try machine.submit(retryable: false)
        #expect(machine.jobEnded(plain, .workerDied).contains(.deliver(plain)))
    }

    @Test func aDeathMovesTheTasksThatNeverStartedAndReplacesTheWorkerAtOnce() throws {
        var machine = Self.ready(Self.configuration(positions: 2, depth: 3))
        var ids: [PoolStateMachine.JobID] = []
        for _ in 0..<6 { ids.append(try machine.submit(retryable: false).0) }
        // Position 0 holds ids 0, 2, 4; it dies running the first.
        let atZero = machine.slots[0].running
        #expect(atZero == [ids[0], ids[2], ids[4]])
        let actions = machine.workerExited(position: 0, pid: 100, status: .signaled(signal: 9),
                                           unstarted: [ids[2], ids[4]], shuttingDown: false, now: .now)
        #expect(actions.contains(.startWorker(position: 0, after: .zero)))
        // The running one stays until its call fails; the others wait at the front of the
        // queue, to be sent again (not run again) when a worker has room.
        #expect(machine.slots[0].running == [ids[0]])
        #expect(Array(machine.queue) == [ids[2], ids[4]])
        #expect(machine.job(ids[2])?.stranded == true)
        // A death while running a task does not count against the restart intensity.
        #expect(machine.slots[0].restarts == 1)
        let moved = machine.jobEnded(ids[1], .succeeded) + machine.jobEnded(ids[3], .succeeded)
        #expect(moved.contains(.resend(ids[2], position: 1)))
        #expect(moved.contains(.resend(ids[4], position: 1)))
    }

    @Test func deathsWhileIdleBackOffThenGiveUp() throws {
        let intensity = RestartIntensity(maxRestarts: 2, period: .seconds(60), immediateRestarts: 1, backoff: .milliseconds(50))
        var machine = Self.ready(Self.configuration(positions: 1, intensity: intensity))
        let now = ContinuousClock.now
        var actions = machine.workerExited(position: 0, pid: 100, status: .exited(code: 1), unstarted: [], shuttingDown: false, now: now)
        #expect(actions == [.startWorker(position: 0, after: .zero)])
        _ = machine.workerStarted(position: 0, pid: 101)
        actions = machine.workerExited(position: 0, pid: 101, status: .exited(code: 1), unstarted: [], shuttingDown: false, now: now)
        #expect(actions == [.startWorker(position: 0, after: .milliseconds(50))])
        #expect(machine.slots[0].phase == .restartPending)
        machine.workerStarting(position: 0)
        _ = machine.workerStarted(position: 0, pid: 102)
        let (queued, _) = try machine.submit(retryable: false)
        _ = machine.jobEnded(queued, .succeeded)
        actions = machine.workerExited(position: 0, pid: 102, status: .exited(code: 1), unstarted: [], shuttingDown: false, now: now)
        #expect(machine.failure?.code == .restartIntensityExceeded)
        #expect(throws: TroupeError.self) { _ = try machine.submit(retryable: false) }
        #expect(machine.isFinished)
    }

    @Test func aStartFailureIsADeathAtStartUp() throws {
        var machine = Self.ready(Self.configuration(positions: 1, intensity: RestartIntensity(maxRestarts: 1, period: .seconds(60))))
        _ = machine.workerExited(position: 0, pid: 100, status: .exited(code: 1), unstarted: [], shuttingDown: false, now: .now)
        let failure = TroupeError(.workerStartFailed, "no such program")
        let actions = machine.workerStartFailed(position: 0, error: failure, now: .now)
        #expect(machine.failure?.code == .restartIntensityExceeded)
        #expect(actions.contains(.finished))
    }

    @Test func closeSendsIdleWorkersAwayAndFinishesAfterTheirExits() throws {
        var machine = Self.ready()
        let (id, _) = try machine.submit(retryable: false)
        #expect(machine.close().isEmpty, "a task still runs")
        let ended = machine.jobEnded(id, .succeeded)
        #expect(ended.contains(.disconnect(position: 0)) && ended.contains(.disconnect(position: 1)))
        #expect(throws: TroupeError.self) { _ = try machine.submit(retryable: false) }
        _ = machine.workerExited(position: 0, pid: 100, status: .exited(code: 0), unstarted: [], shuttingDown: false, now: .now)
        let last = machine.workerExited(position: 1, pid: 101, status: .exited(code: 0), unstarted: [], shuttingDown: false, now: .now)
        #expect(last.contains(.finished))
        #expect(machine.phase == .terminated)
    }

    @Test func terminateFailsQueuedWorkAndStopsRunningWork() throws {
        var machine = Self.ready(Self.configuration(positions: 1, depth: 1))
        let (running, _) = try machine.submit(retryable: false)
        let (queued, _) = try machine.submit(retryable: false)
        let actions = machine.terminate(failing: TroupeError(.terminated, "terminated"))
        #expect(actions.contains(.stop(running)))
        #expect(actions.contains(.terminateWorkers))
        #expect(actions.contains { if case .fail(queued, let error) = $0 { return error.code == .terminated } else { return false } })
        let ended = machine.jobEnded(running, .failed)
        #expect(ended.contains { if case .fail(running, let error) = $0 { return error.code == .terminated } else { return false } })
        let exit = machine.workerExited(position: 0, pid: 100, status: .signaled(signal: 15), unstarted: [], shuttingDown: false, now: .now)
        #expect(exit.contains(.finished))
    }

    @Test func cancellingAQueuedTaskFailsItAndARunningOneIsStopped() throws {
        var machine = Self.ready(Self.configuration(positions: 1, depth: 1))
        let (running, _) = try machine.submit(retryable: false)
        let (queued, _) = try machine.submit(retryable: false)
        let cancelledQueued = machine.cancel(queued)
        #expect(cancelledQueued.contains { if case .fail(queued, let error) = $0 { return error.code == .cancelled } else { return false } })
        #expect(machine.cancel(running) == [.stop(running)])
        let ended = machine.jobEnded(running, .failed)
        #expect(ended.contains { if case .fail(running, let error) = $0 { return error.code == .cancelled } else { return false } })
        // The worker must show it let go before it gets more work.
        #expect(ended.contains(.confirmRelease(position: 0)))
        #expect(machine.slots[0].phase == .draining)
        let (next, waiting) = try machine.submit(retryable: false)
        #expect(Self.runs(waiting).isEmpty)
        #expect(Self.runs(machine.releaseConfirmed(position: 0, released: true)).map(\.0) == [next])
    }

    @Test func aWorkerThatDoesNotLetGoIsKilledAndItsExitExpected() throws {
        var machine = Self.ready(Self.configuration(positions: 1, depth: 1))
        let (id, start) = try machine.submit(retryable: false, timeout: .seconds(1))
        #expect(start.contains(.startDeadline(id, .seconds(1))))
        #expect(machine.deadlinePassed(id) == [.stop(id)])
        let ended = machine.jobEnded(id, .failed)
        #expect(ended.contains { if case .fail(id, let error) = $0 { return error.code == .timeout } else { return false } })
        #expect(machine.releaseConfirmed(position: 0, released: false) == [.kill(position: 0)])
        let exit = machine.workerExited(position: 0, pid: 100, status: .signaled(signal: 9), unstarted: [], shuttingDown: false, now: .now)
        #expect(exit.contains(.startWorker(position: 0, after: .zero)))
        #expect(machine.slots[0].restarts == 0, "a kill the pool asked for is no crash")
    }

    @Test func maxTasksPerChildRetiresEachProcessAfterItsOwnCount() throws {
        var machine = Self.ready(Self.configuration(positions: 1, depth: 2, maxTasksPerChild: 3))
        var ids: [PoolStateMachine.JobID] = []
        for _ in 0..<7 { ids.append(try machine.submit(retryable: false).0) }
        func end(_ id: PoolStateMachine.JobID) -> [Action] { machine.jobEnded(id, .succeeded) }
        _ = end(ids[0])
        _ = end(ids[1])
        #expect(machine.slots[0].tasksStarted == 3)
        #expect(machine.slots[0].phase == .retiring)
        let leaving = end(ids[2])
        #expect(leaving.contains(.disconnect(position: 0)))
        let exit = machine.workerExited(position: 0, pid: 100, status: .exited(code: 0), unstarted: [], shuttingDown: false, now: .now)
        #expect(exit.contains(.startWorker(position: 0, after: .zero)))
        // The next process starts its own count: three more tasks, not one.
        let fresh = machine.workerStarted(position: 0, pid: 101)
        #expect(Self.runs(fresh).count == 2)
        #expect(machine.slots[0].tasksStarted == 2)
        _ = end(ids[3])
        #expect(machine.slots[0].tasksStarted == 3)
        #expect(machine.slots[0].phase == .retiring)
    }

    @Test func aSlowTaskHasTheWorkBehindItWithdrawnAndGetsNoMore() throws {
        var machine = Self.ready(Self.configuration(positions: 2, depth: 3))
        var ids: [PoolStateMachine.JobID] = []
        for _ in 0..<4 { ids.append(try machine.submit(retryable: false).0) }
        let start = ContinuousClock.now
        #expect(machine.tick(now: start, current: [0: ids[0], 1: ids[1]]).isEmpty)
        let later = machine.tick(now: start + .milliseconds(6), current: [0: ids[0], 1: nil])
        #expect(later.contains(.withdraw(position: 0, jobs: [ids[2]])))
        #expect(machine.slots[0].slow)
        // The withdrawn task comes back and goes to the other worker.
        let moved = machine.callParked(job: ids[2])
        #expect(moved.contains(.resend(ids[2], position: 1)))
        // The slow one ending lets its worker take work again.
        _ = machine.jobEnded(ids[0], .succeeded)
        #expect(!machine.slots[0].slow)
    }

    @Test func aMapChunkGoesToOneWorker() throws {
        var machine = Self.ready(Self.configuration(positions: 2, depth: 2))
        var positions: [Int] = []
        for _ in 0..<5 { positions += Self.runs(try machine.submit(retryable: false, group: 7).1).map(\.1) }
        for _ in 0..<5 { positions += Self.runs(try machine.submit(retryable: false, group: 8).1).map(\.1) }
        // Submitted one by one, each chunk's first item picks a worker; the rest follow it.
        #expect(machine.slots.map { $0.running.count + $0.backlog.count }.reduce(0, +) + machine.queue.count == 10)
        #expect(positions.count <= 4)
    }

    @Test func aWorkerReadyAfterTheEndIsSentAway() throws {
        var machine = PoolStateMachine(Self.configuration(positions: 1))
        _ = machine.terminate(failing: TroupeError(.terminated, "terminated"))
        #expect(machine.workerStarted(position: 0, pid: 100) == [.kill(position: 0)])
        #expect(machine.workerExited(position: 0, pid: 100, status: .signaled(signal: 9), unstarted: [],
                                     shuttingDown: false, now: .now).contains(.finished))
    }
}
