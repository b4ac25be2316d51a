// The worker program the test bundle starts: it serves the test worker types.
import Troupe
import TroupeTestSupport

try await Troupe.bootstrap(workers: [EchoWorker.self])
print("TroupeTestWorker serves Troupe's tests as a worker process; it is not meant to be run by hand.")
