import TroupePlatform
import Synchronization

/// How far a `map`, `imap` or `mapChunks` has come: as tqdm users expect, a progress line on
/// the terminal, an `AsyncSequence` of counts, or both.
///
/// ```swift
/// // A progress bar on standard error, when it is a terminal:
/// let squares = try await pool.map(numbers, progress: .terminal(label: "squares")) { try await $0.square($1) }
///
/// // Or the counts, to show them your way:
/// let tracker = ProgressTracker()
/// Task { for await update in tracker.updates { print("\(update.completed) of \(update.total)") } }
/// let squares = try await pool.map(numbers, progress: tracker) { try await $0.square($1) }
/// ```
/// A tracker follows one map at a time.
public final class ProgressTracker: Sendable {
    /// One report of progress.
    public struct Update: Sendable, Hashable, CustomStringConvertible {
        /// Items finished (with a value or an error).
        public let completed: Int
        /// Items that finished with an error.
        public let failed: Int
        /// Items in all.
        public let total: Int
        /// Time since the map started.
        public let elapsed: Duration

        /// Items per second so far.
        public var rate: Double {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return seconds > 0 ? Double(completed) / seconds : 0
        }

        /// The fraction done, 0...1.
        public var fraction: Double { total == 0 ? 1 : Double(completed) / Double(total) }

        /// The counts as text, such as `40/100 (2 failed)`.
        public var description: String { "\(completed)/\(total)" + (failed > 0 ? " (\(failed) failed)" : "") }
    }

    private struct State {
        var total = 0
        var completed = 0
        var failed = 0
        var started = ContinuousClock.now
        var lastDrawn: ContinuousClock.Instant?
        var finished = false
    }

    private let state = Mutex(State())
    private let continuation: AsyncStream<Update>.Continuation
    /// Every update, newest last; the stream ends when the map is done. Updates are dropped
    /// when nobody reads them fast enough (only the latest 64 are kept).
    public let updates: AsyncStream<Update>
    private let terminalLabel: String?

    /// Creates a tracker whose ``updates`` you read.
    public convenience init() {
        self.init(terminalLabel: nil)
    }

    private init(terminalLabel: String?) {
        (updates, continuation) = AsyncStream.makeStream(of: Update.self, bufferingPolicy: .bufferingNewest(64))
        self.terminalLabel = terminalLabel
    }

    /// A tracker that draws a progress line on standard error when it is a terminal (and
    /// stays silent otherwise, so logs are not filled with it).
    /// - Parameter label: a word before the bar.
    /// - Returns: a tracker to pass as the `progress:` of a map.
    public static func terminal(label: String = "") -> ProgressTracker {
        ProgressTracker(terminalLabel: isatty(2) == 1 ? label : nil)
    }

    // MARK: From the map

    func begin(total: Int) {
        state.withLock { state in
            state = State()
            state.total = total
        }
        report(force: true)
    }

    func advance(failed: Bool) {
        state.withLock { state in
            state.completed += 1
            if failed { state.failed += 1 }
        }
        report(force: false)
    }

    private func report(force: Bool) {
        let now = ContinuousClock.now
        let (update, draw, done) = state.withLock { state -> (Update, Bool, Bool) in
            let update = Update(completed: state.completed, failed: state.failed, total: state.total, elapsed: now - state.started)
            let done = state.completed >= state.total && !state.finished
            if done { state.finished = true }
            // Redraw at most ten times a second, and always at the start and the end.
            let draw = force || done || state.lastDrawn.map { now - $0 > .milliseconds(100) } ?? true
            if draw { state.lastDrawn = now }
            return (update, draw, done)
        }
        guard draw else { return }
        continuation.yield(update)
        if let terminalLabel { drawLine(update, label: terminalLabel, done: done) }
        if done { continuation.finish() }
    }

    private func drawLine(_ update: Update, label: String, done: Bool) {
        let width = 30
        let filled = Int(update.fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = Int(update.fraction * 100)
        let remaining = update.rate > 0 ? Int(Double(update.total - update.completed) / update.rate) : 0
        var line = "\r\(label.isEmpty ? "" : label + " ")[\(bar)] \(update.completed)/\(update.total) \(percent)% "
            + "\(Int(update.rate)) it/s eta \(remaining / 60):\(remaining % 60 < 10 ? "0" : "")\(remaining % 60)"
        if update.failed > 0 { line += " (\(update.failed) failed)" }
        line += "\u{1B}[K" + (done ? "\n" : "")
        troupe_write_stderr_raw(line)
    }
}

/// Writes `text` to standard error as it is, without a newline.
private func troupe_write_stderr_raw(_ text: String) {
    let bytes = Array(text.utf8)
    _ = write(2, bytes, bytes.count)
}
