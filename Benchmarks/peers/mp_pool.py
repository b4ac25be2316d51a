#!/usr/bin/env python3
"""Peer: multiprocessing.Pool, one figure per run (adapted from ../shared/anchors/mp_pool.py).

  --figure apply        synchronous pool.apply round trip, --calls calls each timed -> median, p99 (us)
  --figure apply_async  apply_async x --tasks, then get() all                     -> tasks/s
  --figure map          pool.map over --items ints, --chunksize N or default      -> items/s
  --figure start        Pool(--workers) until every worker has run its initializer (ready),
                        then close() + join()                                     -> ms
  --figure payload      pool.map(len, ...) over --items bytes objects of --mib MiB each -> MB/s
  --figure rss          VmRSS, and private memory (smaps_rollup), of an idle worker process
                        (a Process waiting on an Event)                          -> MiB

Pools have --workers processes (default 2) started with --method (fork | spawn). Each
repetition uses a fresh pool, warmed up first (both workers have run tasks), so start-up is
excluded from apply / apply_async / map. The work is sq(x) = x * x.

Usage: python3 mp_pool.py --figure apply --method fork --reps 3
Standard library only.
"""
import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time

from common import Report, now, pctl


def sq(x):
    return x * x


def warm(pool):
    # chunksize=1 so that both workers certainly pick up tasks
    assert pool.map(sq, range(2000), chunksize=1)[-1] == 1999 * 1999


def bench_apply(ctx, args, report):
    lat = []
    with ctx.Pool(args.workers) as pool:
        warm(pool)
        for i in range(200):  # extra warm-up of the apply path
            pool.apply(sq, (i,))
        for i in range(args.calls):
            t0 = now()
            r = pool.apply(sq, (i,))
            t1 = now()
            lat.append((t1 - t0) / 1e3)
            assert r == i * i
    lat.sort()
    m = args.method
    report.record(f"apply.median[{m}]", "us", f"Pool({args.workers}).apply round trip, median of {args.calls} [{m}]",
                  statistics.median(lat))
    report.record(f"apply.p99[{m}]", "us", f"Pool({args.workers}).apply round trip, p99 of {args.calls} [{m}]", pctl(lat, 99))


def bench_apply_async(ctx, args, report):
    with ctx.Pool(args.workers) as pool:
        warm(pool)
        t0 = now()
        rs = [pool.apply_async(sq, (i,)) for i in range(args.tasks)]
        out = [r.get() for r in rs]
        t1 = now()
    assert out[-1] == (args.tasks - 1) ** 2
    m = args.method
    report.record(f"apply_async.workers{args.workers}[{m}]", "tasks/s",
                  f"Pool({args.workers}).apply_async x{args.tasks} + get all [{m}]", args.tasks / ((t1 - t0) / 1e9))


def bench_map(ctx, args, report):
    data = list(range(args.items))
    chunksize = None if args.chunksize == "default" else int(args.chunksize)
    with ctx.Pool(args.workers) as pool:
        warm(pool)
        t0 = now()
        out = pool.map(sq, data, chunksize=chunksize)
        t1 = now()
    assert len(out) == args.items and out[-1] == (args.items - 1) ** 2
    m = args.method
    label = "default" if chunksize is None else f"chunk{chunksize}"
    report.record(f"map.{label}[{m}]", "items/s", f"Pool({args.workers}).map over {args.items} ints, chunksize {args.chunksize} [{m}]",
                  args.items / ((t1 - t0) / 1e9))


def bench_payload(ctx, args, report):
    size = args.mib << 20
    data = [b"\x07" * size for _ in range(args.items)]
    with ctx.Pool(args.workers) as pool:
        warm(pool)
        pool.map(len, data[:2])
        t0 = now()
        out = pool.map(len, data)
        t1 = now()
    assert out == [size] * args.items
    m = args.method
    report.record(f"payload.bytes[{m}]", "MB/s", f"Pool({args.workers}).map(len) over {args.items} bytes of {args.mib} MiB [{m}]",
                  args.items * size / 1e6 / ((t1 - t0) / 1e9))


def _ready(q):
    q.put(os.getpid())


def bench_start(ctx, args, report):
    m = args.method
    for _ in range(args.starts):
        q = ctx.SimpleQueue()
        t0 = now()
        pool = ctx.Pool(args.workers, initializer=_ready, initargs=(q,))
        for _ in range(args.workers):
            q.get()
        t1 = now()
        pool.close()
        pool.join()
        t2 = now()
        report.record(f"pool_start.ready[{m}]", "ms", f"Pool({args.workers}) until every worker ran its initializer [{m}]",
                      (t1 - t0) / 1e6)
        report.record(f"pool_start.close_join[{m}]", "ms", f"Pool({args.workers}) close() + join() after ready [{m}]",
                      (t2 - t1) / 1e6)
        report.record(f"pool_start.total[{m}]", "ms", f"Pool({args.workers}) start + close() + join() [{m}]", (t2 - t0) / 1e6)


def _idle(ready, stop):
    ready.set()
    stop.wait()


def proc_mib(pid, file, fields):
    """The sum of `fields` (kB) in /proc/<pid>/<file>, in MiB."""
    with open(f"/proc/{pid}/{file}") as f:
        found = [int(line.split()[1]) for line in f if line.split(":")[0] in fields]
    assert len(found) == len(fields), (file, fields)
    return sum(found) / 1024


def bench_rss(ctx, args, report):
    ready, stop = ctx.Event(), ctx.Event()
    p = ctx.Process(target=_idle, args=(ready, stop))
    p.start()
    ready.wait()
    time.sleep(args.settle_ms / 1000)
    rss = proc_mib(p.pid, "status", ["VmRSS"])
    private = proc_mib(p.pid, "smaps_rollup", ["Private_Clean", "Private_Dirty"])
    stop.set()
    p.join()
    report.record(f"rss.idle_worker[{args.method}]", "MiB", f"VmRSS of an idle Process worker [{args.method}]", rss)
    report.record(f"rss.idle_worker_private[{args.method}]", "MiB",
                  f"private memory (Private_Clean + Private_Dirty) of an idle Process worker [{args.method}]", private)


FIGURES = {"apply": bench_apply, "apply_async": bench_apply_async, "map": bench_map,
           "start": bench_start, "rss": bench_rss, "payload": bench_payload}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--figure", required=True, choices=sorted(FIGURES))
    ap.add_argument("--method", default="fork", choices=["fork", "spawn", "forkserver"])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--calls", type=int, default=5_000)
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--chunksize", default="default")
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--settle-ms", type=int, default=300)
    ap.add_argument("--mib", type=int, default=8)
    args = ap.parse_args()
    ctx = mp.get_context(args.method)
    report = Report(f"mp_pool.{args.figure}")
    for _ in range(args.reps):
        FIGURES[args.figure](ctx, args, report)
    report.emit()


if __name__ == "__main__":
    sys.exit(main())
