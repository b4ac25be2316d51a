// The worker program the test bundle starts: it serves the test worker types.
import TroupePlatform
import Tracing
import Troupe
import TroupeTestSupport

// A test of what happens when a program forgets the bootstrap: started for the type the test
// names (and no other, so that tests running beside it are not affected), it starts a pool first.
if let type = getenv("TROUPE_TEST_POOL_BEFORE_BOOTSTRAP"), let wanted = getenv("TROUPE_WORKER_TYPE"),
   String(cString: type) == String(cString: wanted) {
    _ = try await Pool<EchoWorker>(processes: 1)
}
// A worker process for the tracing tests traces with an in-memory tracer, and reports its
// spans through a distributed call; processes started for other types trace nothing.
if let wanted = getenv("TROUPE_WORKER_TYPE"), String(cString: wanted) == String(reflecting: TracedWorker.self) {
    InstrumentationSystem.bootstrap(TracedWorker.tracer)
}
try await Troupe.bootstrap(workers: [EchoWorker.self, TracedWorker.self])
print("TroupeTestWorker serves Troupe's tests as a worker process; it is not meant to be run by hand.")
