import TroupePlatform
import Testing
@_spi(Testing) @testable import Troupe
import TroupeTestSupport

/// Worker processes as the operating system sees them: start, exit statuses, signals.
@Suite(.serialized)
struct ProcessTests {
    init() { TestEnvironment.useTestWorker() }

    @Test func aStoppedProcessExitsNormally() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        #expect(process.isAlive)
        #expect(ProcessTable.isAlive(process.pid))
        let status = await process.stop()
        #expect(status == .exited(code: 0))
        #expect(status.isSuccess)
        #expect(!process.isAlive)
        #expect(!ProcessTable.isAlive(process.pid))
    }

    @Test func anErrorExitIsToldApart() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        _ = try? await process.actor.exitProcess(code: 7)
        let status = await process.join(timeout: .seconds(20))
        #expect(status == .exited(code: 7))
        #expect(status?.exitCode == 7)
        #expect(status?.isSuccess == false)
    }

    @Test func deathBySignalIsToldApart() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        _ = try? await process.actor.raiseSignal(SIGSEGV)
        let status = await process.join(timeout: .seconds(20))
        #expect(status == .signaled(signal: SIGSEGV))
        #expect(status?.description.contains("SIGSEGV") == true)
    }

    @Test func terminateSendsSIGTERM() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        process.terminate()
        #expect(await process.join(timeout: .seconds(20)) == .signaled(signal: SIGTERM))
    }

    @Test func killSendsSIGKILL() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        process.kill()
        #expect(await process.join(timeout: .seconds(20)) == .signaled(signal: SIGKILL))
        #expect(!ProcessTable.isAlive(process.pid))
    }

    @Test func joinWithATimeoutReturnsNilWhileTheProcessRuns() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        #expect(await process.join(timeout: .milliseconds(50)) == nil)
        #expect(process.isAlive)
        #expect(process.exitStatus == nil)
    }

    @Test func aTargetRunsAndTheProcessExitsWhenItReturns() async throws {
        let process = try await ActorProcess.start(EchoWorker.self) { worker in
            _ = try await worker.echo("target")
        }
        #expect(await process.join(timeout: .seconds(20)) == .exited(code: 0))
        #expect(process.targetError == nil)
    }

    @Test func aFailingTargetEndsTheProcessWithCodeOne() async throws {
        let process = try await ActorProcess.start(EchoWorker.self) { worker in
            try await worker.fail("target failed")
        }
        #expect(await process.join(timeout: .seconds(20)) == .exited(code: 1))
        #expect((process.targetError as? TroupeError)?.code == .remote)
    }

    @Test func aTypeTheProgramDoesNotServeFailsToStartWithAHint() async throws {
        let error = await #expect(throws: TroupeError.self) { try await ActorProcess.start(UnlistedWorker.self) }
        #expect(error?.code == .workerStartFailed)
        #expect(error?.message.contains("UnlistedWorker") == true)
        #expect(error?.message.contains("Troupe.bootstrap(workers:)") == true)
    }

    @Test func aProgramThatStartsWorkersBeforeItsBootstrapStopsInsteadOfMultiplying() async throws {
        // Only a worker started for UnlistedWorker takes the wrong path, so tests beside this
        // one are not affected by the variable.
        setenv("TROUPE_TEST_POOL_BEFORE_BOOTSTRAP", String(reflecting: UnlistedWorker.self), 1)
        defer { unsetenv("TROUPE_TEST_POOL_BEFORE_BOOTSTRAP") }
        let error = await #expect(throws: TroupeError.self) { try await ActorProcess.start(UnlistedWorker.self) }
        #expect(error?.code == .workerStartFailed)
        // It stopped at once (without the guard it would start copies until the start timeout),
        // and the error says what it forgot, not that it serves another list of types.
        #expect(error?.message.contains("exited with code 79") == true, "\(String(describing: error))")
        #expect(error?.message.contains("without calling Troupe.bootstrap(workers:) first") == true)
        #expect(error?.message.contains("does not serve") == false)
    }

    @Test func aTestBundleStartedAsTheWorkerProgramIsNamedAsSuch() async throws {
        // A program named like `swift test`'s bundle, which exits at once, as a bundle would.
        let folder = "/tmp/troupe-bundle-\(getpid())"
        mkdir(folder, 0o700)
        let bundle = folder + "/AppPackageTests.xctest"
        symlink("/bin/false", bundle)
        defer { unlink(bundle); rmdir(folder) }
        Troupe.workerExecutable = bundle
        defer { TestEnvironment.useTestWorker() }
        let error = await #expect(throws: TroupeError.self) { try await ActorProcess.start(EchoWorker.self) }
        #expect(error?.code == .workerStartFailed)
        for hint in ["is a test bundle", "Troupe.workerExecutable", "TROUPE_WORKER_EXECUTABLE", "Testing article"] {
            #expect(error?.message.contains(hint) == true, "\(hint): \(String(describing: error))")
        }
    }

    @Test func aMissingExecutableFailsToStartClearly() async throws {
        Troupe.workerExecutable = "/nonexistent/troupe-worker"
        defer { TestEnvironment.useTestWorker() }
        let error = await #expect(throws: TroupeError.self) { try await ActorProcess.start(EchoWorker.self) }
        #expect(error?.code == .workerStartFailed)
        #expect(error?.message.contains("/nonexistent/troupe-worker") == true)
    }

    @Test func workersIgnoreSIGINTAndDoNotSeeTroupesVariables() async throws {
        let process = try await ActorProcess.start(EchoWorker.self)
        defer { process.kill() }
        let ignored = try #require(ProcessTable.ignoredSignals(process.pid))
        #expect(ignored & (1 << UInt64(SIGINT - 1)) != 0)
        #expect(try await process.actor.environment("TROUPE_WORKER_ENDPOINT") == nil)
    }

    @Test func theRunDirectoryIsPrivate() throws {
        let directory = try RunDirectory.shared()
        var info = stat()
        #expect(stat(directory.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(info.st_uid == getuid())
    }
}
