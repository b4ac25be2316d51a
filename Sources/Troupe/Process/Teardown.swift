import Synchronization

/// One step of stopping processes in order: an action, and how long the processes get to
/// exit before the next step.
struct TeardownStep: Sendable {
    enum Action: Sendable {
        /// Asks the process to leave (a DISCONNECT to a worker), by the caller's own means.
        case request(@Sendable (ChildProcess) -> Void)
        /// Sends a signal.
        case signal(ProcessSignal)
    }

    let action: Action
    let allowedDurationToNextStep: Duration

    /// Sends `signal`, then waits up to `allowedDurationToNextStep`.
    static func send(signal: ProcessSignal, allowedDurationToNextStep: Duration) -> TeardownStep {
        TeardownStep(action: .signal(signal), allowedDurationToNextStep: allowedDurationToNextStep)
    }

    /// Asks politely with `request`, then waits up to `allowedDurationToNextStep`.
    static func request(_ request: @escaping @Sendable (ChildProcess) -> Void, allowedDurationToNextStep: Duration) -> TeardownStep {
        TeardownStep(action: .request(request), allowedDurationToNextStep: allowedDurationToNextStep)
    }
}

/// Stops processes the way every part of Troupe does: each step in turn (by default
/// SIGTERM and a grace period), then SIGKILL for what is left, and a wait until it is gone.
enum Teardown {
    /// The default steps: SIGTERM, then `gracePeriod` to exit.
    static func terminating(gracePeriod: Duration) -> [TeardownStep] {
        [.send(signal: .terminate, allowedDurationToNextStep: gracePeriod)]
    }

    /// Runs `steps` on `children`, then kills what is left and waits for it to exit.
    static func run(_ children: [ChildProcess], steps: [TeardownStep]) async {
        for step in steps {
            let alive = children.filter(\.isAlive)
            if alive.isEmpty { return }
            for child in alive { perform(step.action, on: child) }
            let deadline = ContinuousClock.now.advanced(by: step.allowedDurationToNextStep)
            for child in alive {
                let left = ContinuousClock.now.duration(to: deadline)
                if left <= .zero { break }
                _ = await child.wait(timeout: left)
            }
        }
        for child in children where child.isAlive { child.send(.kill) }
        for child in children { _ = await child.wait(timeout: .seconds(5)) }
    }

    /// ``run(_:steps:)`` with SIGTERM and `gracePeriod`, in the background.
    static func terminate(_ children: [ChildProcess], gracePeriod: Duration) {
        guard !children.isEmpty else { return }
        Task { await run(children, steps: terminating(gracePeriod: gracePeriod)) }
    }

    /// ``run(_:steps:)`` on the calling thread, which it blocks (at most the steps'
    /// durations and one more second): for a program about to end after a signal.
    static func runBlocking(_ children: [ChildProcess], steps: [TeardownStep]) {
        let exits = Semaphore()
        for child in children { child.onExit { _ in exits.signal() } }
        func waitForExits(of group: [ChildProcess], until deadline: ContinuousClock.Instant) {
            var waiting = group.filter(\.isAlive).count
            while waiting > 0 {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero, exits.wait(timeout: left) else { return }
                waiting = group.filter(\.isAlive).count
            }
        }
        for step in steps {
            let alive = children.filter(\.isAlive)
            if alive.isEmpty { return }
            for child in alive { perform(step.action, on: child) }
            waitForExits(of: alive, until: ContinuousClock.now.advanced(by: step.allowedDurationToNextStep))
        }
        for child in children where child.isAlive { child.send(.kill) }
        waitForExits(of: children, until: ContinuousClock.now.advanced(by: .seconds(1)))
    }

    private static func perform(_ action: TeardownStep.Action, on child: ChildProcess) {
        switch action {
        case .request(let request): request(child)
        case .signal(let signal): child.send(signal)
        }
    }
}
