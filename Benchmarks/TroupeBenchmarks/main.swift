// troupe-bench: Troupe's side of `make bench`. Benchmarks/run.py runs it once per figure and
// repetition, interleaved with the Python and libzmq peers, and reads the JSON line it prints
// last. By hand:
//
//     swift build -c release --product troupe-bench
//     .build/release/troupe-bench apply --reps 3 --calls 5000
//
// Figures: apply, apply-async, map, map-chunks, pool-start, call, dict, array, rss
// (see Benchmarks/README.md for what each measures and its options).
import TroupePlatform
import Troupe

// Worker processes are this program started again: they stop here and serve.
try await Troupe.bootstrap(workers: [BenchWorker.self])

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    guard let figure = Figures.table.first(where: { $0.name == arguments.figure }) else {
        throw BenchFailure("unknown figure '\(arguments.figure)'; figures: \(Figures.names.joined(separator: ", "))")
    }
    let report = Report()
    for _ in 0..<max(1, try arguments.int("reps", default: 1)) {
        try await figure.body(arguments, report)
    }
    print(report.json(figure: arguments.figure))
} catch {
    printError("troupe-bench: \(error)")
    exit(1)
}
