/// How many unexpected deaths a supervisor accepts in a period before it gives up, as an
/// Erlang/OTP supervisor's `intensity` and `period`, and how it paces the restarts: the
/// first few deaths in the period are restarted at once, later ones after a pause that
/// doubles each time, up to a maximum.
public struct RestartIntensity: Sendable, Hashable {
    /// The most restarts allowed within ``period``.
    public var maxRestarts: Int
    /// The sliding window the restarts are counted in.
    public var period: Duration
    /// How many deaths within the period are restarted without a pause.
    public var immediateRestarts: Int
    /// The first pause, once the immediate restarts are used up; it doubles with each death.
    public var backoff: Duration
    /// The longest pause.
    public var maxBackoff: Duration

    /// Creates a restart intensity.
    /// - Parameters:
    ///   - maxRestarts: the most restarts allowed within `period`; one more and the
    ///     supervisor gives up.
    ///   - period: the sliding window the restarts are counted in.
    ///   - immediateRestarts: how many deaths within the period are restarted at once.
    ///   - backoff: the first pause after those; it doubles with each further death.
    ///   - maxBackoff: the longest pause.
    public init(maxRestarts: Int, period: Duration, immediateRestarts: Int = 1,
                backoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(2)) {
        self.maxRestarts = maxRestarts
        self.period = period
        self.immediateRestarts = immediateRestarts
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }
}

/// Counts deaths against a ``RestartIntensity``: what pools and supervisors both use to
/// decide whether, and when, to restart.
struct RestartCounter: Sendable {
    /// What to do after a death.
    enum Decision: Equatable {
        /// Restart after this pause.
        case restart(after: Duration)
        /// Give up: this many deaths happened within the period.
        case giveUp(deaths: Int)
    }

    let intensity: RestartIntensity
    private var deaths: [ContinuousClock.Instant] = []

    init(_ intensity: RestartIntensity) {
        self.intensity = intensity
    }

    /// Records a death at `now`.
    mutating func recordDeath(at now: ContinuousClock.Instant) -> Decision {
        deaths = deaths.filter { now - $0 < intensity.period } + [now]
        if deaths.count > intensity.maxRestarts { return .giveUp(deaths: deaths.count) }
        let beyond = deaths.count - intensity.immediateRestarts
        guard beyond > 0 else { return .restart(after: .zero) }
        return .restart(after: min(intensity.backoff * (1 << min(beyond - 1, 16)), intensity.maxBackoff))
    }
}
