// The worker program the test bundle starts: it serves the test worker types.
#if canImport(Glibc)
import Glibc
#endif
import Troupe
import TroupeTestSupport

// A test of what happens when a program forgets the bootstrap: it starts a pool first.
if getenv("TROUPE_TEST_POOL_BEFORE_BOOTSTRAP") != nil {
    _ = try await Pool<EchoWorker>(processes: 1)
}
try await Troupe.bootstrap(workers: [EchoWorker.self])
print("TroupeTestWorker serves Troupe's tests as a worker process; it is not meant to be run by hand.")
