#!/usr/bin/env python3
"""Peer: concurrent.futures.ProcessPoolExecutor (adapted from ../shared/anchors/cf_pool.py).

  --figure submit   submit(sq, i) x --tasks, then result() on every future -> tasks/s

Each repetition uses a fresh executor with --workers processes (default 2), started with
--method (default fork) and warmed up first, so start-up is excluded.

Usage: python3 cf_pool.py --figure submit --reps 3
Standard library only.
"""
import argparse
import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor

from common import Report, now


def sq(x):
    return x * x


def warm(ex):
    # submit-based warm-up: with spawn/forkserver, workers are started on demand by submit()
    fs = [ex.submit(sq, i) for i in range(2000)]
    assert [f.result() for f in fs][-1] == 1999 * 1999


def bench_submit(ctx, args, report):
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as ex:
        warm(ex)
        t0 = now()
        fs = [ex.submit(sq, i) for i in range(args.tasks)]
        out = [f.result() for f in fs]
        t1 = now()
    assert out[-1] == (args.tasks - 1) ** 2
    m = args.method
    report.record(f"ppe.submit.workers{args.workers}[{m}]", "tasks/s",
                  f"ProcessPoolExecutor({args.workers}) submit x{args.tasks} + result() all [{m}]", args.tasks / ((t1 - t0) / 1e9))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--figure", default="submit", choices=["submit"])
    ap.add_argument("--method", default="fork", choices=["fork", "spawn", "forkserver"])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=20_000)
    args = ap.parse_args()
    ctx = mp.get_context(args.method)
    report = Report(f"cf_pool.{args.figure}")
    for _ in range(args.reps):
        bench_submit(ctx, args, report)
    report.emit()


if __name__ == "__main__":
    sys.exit(main())
