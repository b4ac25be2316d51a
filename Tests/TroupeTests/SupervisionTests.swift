import TroupePlatform
import Synchronization
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport

/// Failures with real processes and signals: no hang, no orphan, no silent loss.
@Suite(.serialized)
struct SupervisionTests {
    init() { TestEnvironment.useTestWorker() }

    private func livePIDs(_ pool: Pool<EchoWorker>) -> [Int32] {
        pool.status().workers.compactMap(\.pid)
    }

    @Test func aWorkerThatExitsMidTaskFailsItWithItsStatusAndIsReplaced() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let before = Set(livePIDs(pool))
        let error = await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.exitProcess(code: 3) } }
        #expect(error?.code == .workerCrashed)
        #expect(error?.message.contains("exited with code 3") == true)
        #expect(await eventually { pool.status().workers.allSatisfy { $0.state == .idle } && livePIDs(pool).count == 2 })
        let after = Set(livePIDs(pool))
        #expect(after != before)
        #expect(pool.status().workers.map(\.restarts).reduce(0, +) == 1)
        #expect(pool.status().workers.contains { $0.lastExit == .exited(code: 3) })
        #expect(try await pool.apply { try await $0.echo("alive") } == "alive")
        pool.close()
        try await pool.join()
    }

    @Test func killDashNineAndCrashesMidTaskAreReportedTheSameWay() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let sleeping = try pool.applyAsync { try await $0.sleep(milliseconds: 60_000) }
        // Killed once its process has started the task (until then the task would only move).
        #expect(await eventually { pool.status().workers.contains { $0.running == 1 } })
        let victim = try #require(pool.status().workers.first { $0.running == 1 }?.pid)
        kill(victim, SIGKILL)
        let killed = await #expect(throws: TroupeError.self) { try await sleeping.get() }
        #expect(killed?.code == .workerCrashed)
        #expect(killed?.message.contains("SIGKILL") == true, "\(String(describing: killed))")
        #expect(await eventually { !ProcessTable.isAlive(victim) })

        let trapped = await #expect(throws: TroupeError.self) { try await pool.apply { try await $0.crash() } }
        #expect(trapped?.code == .workerCrashed)
        #expect(trapped?.message.contains("killed by signal") == true)
        #expect(try await pool.apply { try await $0.echo("still serving") } == "still serving")
        pool.close()
        try await pool.join()
    }

    @Test func retryableWorkRunsAgainAndOtherWorkDoesNot() async throws {
        let manager = try Manager()
        let attempts = try await manager.value(0)
        let pool = try await Pool<EchoWorker>(processes: 2)
        let value = try await pool.apply(retryable: true) { worker -> String in
            if try await attempts.increment(by: 1) == 1 { try await worker.exitProcess(code: 1) }
            return try await worker.echo("second try")
        }
        #expect(value == "second try")
        #expect(try await attempts.get() == 2)

        try await attempts.set(0)
        await #expect(throws: TroupeError.self) {
            _ = try await pool.apply { worker -> String in
                _ = try await attempts.increment(by: 1)
                try await worker.exitProcess(code: 1)
                return "unreachable"
            }
        }
        #expect(try await attempts.get() == 1)
        pool.close()
        try await pool.join()
    }

    @Test func workersThatKeepDyingWhileIdleStopThePoolWithAClearError() async throws {
        var options = PoolOptions()
        options.restartIntensity = RestartIntensity(maxRestarts: 2, period: .seconds(60), backoff: .milliseconds(1))
        let pool = try await Pool<EchoWorker>(processes: 1, options: options)
        for _ in 0..<3 {
            // Wait for a ready worker, then kill it while it has no task.
            #expect(await eventually { pool.status().workers[0].state == .idle || pool.status().phase != .running })
            guard pool.status().phase == .running, let victim = pool.status().workers[0].pid else { break }
            kill(victim, SIGKILL)
            #expect(await eventually { !ProcessTable.isAlive(victim) && pool.status().workers[0].pid != victim })
        }
        #expect(await eventually { pool.status().phase == .failed })
        let late = #expect(throws: TroupeError.self) { try pool.applyAsync { try await $0.echo("x") } }
        #expect(late?.code == .restartIntensityExceeded)
        #expect(late?.message.contains("3 times") == true, "\(String(describing: late))")
        try await pool.join()
        let pids = pool.status().workers.compactMap(\.pid)
        #expect(pids.allSatisfy { !ProcessTable.isAlive($0) })
    }

    @Test func tasksThatCrashTheirWorkerFailAloneAndDoNotStopThePool() async throws {
        // A death while running a task is that task's failure: no back-off, no intensity.
        var options = PoolOptions()
        options.restartIntensity = RestartIntensity(maxRestarts: 2, period: .seconds(60))
        let pool = try await Pool<EchoWorker>(processes: 2, options: options)
        let results = try (0..<20).map { index in
            try pool.applyAsync { worker -> Int in
                if index % 4 == 0 { try await worker.workThenExit(code: 9) }
                return try await worker.square(index)
            }
        }
        var crashed = 0
        for (index, result) in results.enumerated() {
            do {
                #expect(try await result.get() == index * index)
            } catch let error as TroupeError where error.code == .workerCrashed {
                #expect(index % 4 == 0, "task \(index) failed though it did not crash: \(error)")
                crashed += 1
            }
        }
        #expect(crashed == 5)
        #expect(pool.status().phase == .running)
        #expect(pool.status().workers.map(\.restarts).reduce(0, +) == 5)
        pool.close()
        try await pool.join()
    }

    @Test func aTimeoutStopsCooperativeWorkAndKeepsTheWorker() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        let pid = try #require(livePIDs(pool).first)
        let error = await #expect(throws: TroupeError.self) {
            try await pool.apply(timeout: .milliseconds(200)) { try await $0.sleep(milliseconds: 60_000) }
        }
        #expect(error?.code == .timeout)
        #expect(try await pool.apply { try await $0.processID() } == pid)
        pool.close()
        try await pool.join()
    }

    @Test func workThatIgnoresCancellationIsKilledAndItsWorkerReplaced() async throws {
        var options = PoolOptions()
        options.cancelGracePeriod = .milliseconds(300)
        let pool = try await Pool<EchoWorker>(processes: 1, options: options)
        let pid = try #require(livePIDs(pool).first)
        let error = await #expect(throws: TroupeError.self) {
            try await pool.apply(timeout: .milliseconds(200)) { try await $0.spin(milliseconds: 60_000) }
        }
        #expect(error?.code == .timeout)
        #expect(await eventually { !ProcessTable.isAlive(pid) })
        let next = try await pool.apply { try await $0.processID() }
        #expect(next != pid)
        #expect(pool.status().workers[0].restarts == 0)
        pool.close()
        try await pool.join()
    }

    @Test func cancellingTheAwaitingTaskCancelsTheWork() async throws {
        let pool = try await Pool<EchoWorker>(processes: 1)
        let pid = try #require(livePIDs(pool).first)
        let waiting = Task { try await pool.apply { try await $0.sleep(milliseconds: 60_000) } }
        #expect(await eventually { pool.status().running == 1 })
        waiting.cancel()
        await #expect(throws: (any Error).self) { try await waiting.value }
        // The worker let go of the call: the same process serves the next task.
        #expect(try await pool.apply { try await $0.processID() } == pid)
        pool.close()
        try await pool.join()
    }

    @Test func chaosKillingRandomWorkersLosesNoTask() async throws {
        var options = PoolOptions()
        options.restartIntensity = RestartIntensity(maxRestarts: 1000, period: .seconds(60), backoff: .milliseconds(1))
        let pool = try await Pool<EchoWorker>(processes: 2, options: options)
        let total = 10_000
        let starts = Mutex([Int](repeating: 0, count: total))
        let results = try (0..<total).map { index in
            try pool.applyAsync { worker -> Int in
                starts.withLock { $0[index] += 1 }
                return try await worker.square(index)
            }
        }
        let killer = Task {
            var kills = 0
            while !Task.isCancelled && kills < 15 {
                try? await Task.sleep(for: .milliseconds(40))
                if let victim = pool.status().workers.compactMap(\.pid).randomElement() {
                    kill(victim, SIGKILL)
                    kills += 1
                }
            }
            return kills
        }
        var succeeded = 0, crashed = 0, other = 0
        for (index, result) in results.enumerated() {
            do {
                let value = try await result.get()
                if value == index * index { succeeded += 1 } else { other += 1 }
            } catch let error as TroupeError where error.code == .workerCrashed {
                crashed += 1
            } catch {
                if other < 3 { print("chaos: unexpected failure: \(error)") }
                other += 1
            }
        }
        killer.cancel()
        let kills = await killer.value
        print("chaos: \(total) tasks, \(kills) workers killed: \(succeeded) succeeded, \(crashed) failed with workerCrashed, \(other) other")
        #expect(succeeded + crashed == total)
        #expect(other == 0)
        #expect(starts.withLock { $0.allSatisfy { $0 == 1 } }, "no task may run twice unless it is retryable")
        pool.close()
        try await pool.join()
    }

    @Test func chaosWithRetryableWorkFinishesEverything() async throws {
        var options = PoolOptions()
        options.restartIntensity = RestartIntensity(maxRestarts: 1000, period: .seconds(60), backoff: .milliseconds(1))
        options.maxRetries = 50
        let pool = try await Pool<EchoWorker>(processes: 2, options: options)
        let total = 3000
        let results = try (0..<total).map { index in
            try pool.applyAsync(retryable: true) { try await $0.square(index) }
        }
        let killer = Task {
            for _ in 0..<8 {
                try? await Task.sleep(for: .milliseconds(30))
                if let victim = pool.status().workers.compactMap(\.pid).randomElement() { kill(victim, SIGKILL) }
            }
        }
        var values: [Int] = []
        for result in results { values.append(try await result.get()) }
        await killer.value
        #expect(values == (0..<total).map { $0 * $0 })
        pool.close()
        try await pool.join()
    }

    @Test func statusReportsWorkersAndQueue() async throws {
        let pool = try await Pool<EchoWorker>(processes: 2)
        let slow = try (0..<4).map { _ in try pool.applyAsync { try await $0.sleep(milliseconds: 500) } }
        // Two tasks run; the other two wait, prefetched by a worker or queued in the parent.
        #expect(await eventually { pool.status().running == 2 && pool.status().prefetched + pool.status().queued == 2 })
        let status = pool.status()
        #expect(status.phase == .running)
        #expect(status.workers.count == 2)
        #expect(status.workers.allSatisfy { $0.state == .busy && $0.pid != nil })
        #expect(status.description.contains("2 running, \(status.prefetched) prefetched, \(status.queued) queued"))
        for result in slow { try await result.get() }
        #expect(await eventually { pool.status().workers.map(\.tasksDone).reduce(0, +) == 4 })
        pool.close()
        try await pool.join()
        #expect(pool.status().phase == .closed)
    }
}

/// Actors started on their own under a supervisor, with Erlang/OTP restart policies.
@Suite(.serialized)
struct SupervisorTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func aPermanentChildIsRestartedAfterAnyExit() async throws {
        let supervisor = Supervisor()
        let child = try await supervisor.start(EchoWorker.self, restart: .permanent)
        let first = try #require(child.pid)
        kill(first, SIGKILL)
        #expect(await eventually { child.restarts == 1 && child.pid != first && child.pid.map(ProcessTable.isAlive) == true })
        #expect(try await child.call { try await $0.echo("back") } == "back")
        await supervisor.stop()
        #expect(await eventually { child.pid.map { !ProcessTable.isAlive($0) } ?? true })
    }

    @Test func aTransientChildIsRestartedOnlyAfterAnAbnormalExit() async throws {
        let supervisor = Supervisor()
        let child = try await supervisor.start(EchoWorker.self, restart: .transient)
        let first = try #require(child.pid)
        _ = try? await child.call { try await $0.exitProcess(code: 2) }
        #expect(await eventually { child.restarts == 1 && child.pid != first })
        let second = try #require(child.pid)
        _ = try? await child.call { try await $0.exitProcess(code: 0) }
        #expect(await eventually { !ProcessTable.isAlive(second) && child.hasEnded })
        #expect(child.restarts == 1)
        #expect(child.lastExit == .exited(code: 0))
        await supervisor.stop()
    }

    @Test func aTemporaryChildIsNeverRestarted() async throws {
        let supervisor = Supervisor()
        let child = try await supervisor.start(EchoWorker.self, restart: .temporary)
        let pid = try #require(child.pid)
        kill(pid, SIGKILL)
        #expect(await eventually { child.lastExit == .signaled(signal: SIGKILL) && child.hasEnded })
        #expect(child.restarts == 0)
        let error = await #expect(throws: TroupeError.self) { try await child.call { try await $0.echo("x") } }
        #expect(error?.code == .invalidState)
    }

    @Test func tooManyRestartsMakeTheSupervisorGiveUp() async throws {
        let supervisor = Supervisor(intensity: RestartIntensity(maxRestarts: 2, period: .seconds(60), backoff: .milliseconds(1)))
        let child = try await supervisor.start(EchoWorker.self, restart: .permanent)
        let other = try await supervisor.start(EchoWorker.self, restart: .permanent)
        for _ in 0..<3 {
            let pid = try #require(await eventually { child.pid.map(ProcessTable.isAlive) == true } ? child.pid : nil)
            kill(pid, SIGKILL)
            #expect(await eventually { !ProcessTable.isAlive(pid) })
        }
        #expect(await eventually { supervisor.failure?.code == .restartIntensityExceeded })
        #expect(await eventually { other.pid.map { !ProcessTable.isAlive($0) } ?? true })
        let late = await #expect(throws: TroupeError.self) { try await supervisor.start(EchoWorker.self) }
        #expect(late?.code == .restartIntensityExceeded)
    }
}
