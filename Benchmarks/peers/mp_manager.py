#!/usr/bin/env python3
"""Peer: multiprocessing.Manager() proxies (adapted from ../shared/anchors/mp_manager.py).

One "op" = one proxy method call = one synchronous round trip to the manager's server
process (d[k] = v is one op, d[k] is one op).

  --figure dict    Manager().dict():
                     1 client     : main process, --ops ops (set, get), each timed          -> median, p99 us;
                                    and all of them over the loop's time                   -> ops/s
                     2 clients    : two forked workers at once, --ops ops each, aggregate
                                    = all ops / (last finish - first start)                -> ops/s
                     batched      : d.update(--batch pairs) then d.copy() (the same keys back),
                                    --batches times, on a fresh dict each: keys written + read -> keys/s
  --figure array   Manager().Array('i', [0]*1000), `with lock: a[j] = a[j] + 1` under a
                   Manager().Lock() (4 round trips per increment) from two forked workers,
                   --increments each, aggregate                                           -> incr/s

Workers are forked and wait on an Event, so process start-up is excluded; their
timestamps (CLOCK_MONOTONIC) are compared across processes. Values are checked.

Usage: python3 mp_manager.py --figure dict --reps 3
Standard library only.
"""
import argparse
import multiprocessing as mp
import statistics
import sys
import time

from common import Report, now, pctl

ARR_LEN = 1000


def dict_ops(d, wid, n):
    pairs = n // 2
    for i in range(pairs):
        k = (wid, i)
        d[k] = i
        assert d[k] == i
    return pairs * 2


def mgr_array_ops(a, lock, wid, n):
    for i in range(n):
        j = i % ARR_LEN
        with lock:
            a[j] = a[j] + 1
    return n


def word_counts(d, lock, keys, vocabulary, wid, calls):
    """A word count as Python users write it with a Manager: each word's count read and
    written back under the lock, a batch of `keys` words at a time."""
    words = ["w%d" % i for i in range(vocabulary)]
    for call in range(calls):
        with lock:
            for index in range(keys):
                word = words[(call * keys + index) % vocabulary]
                d[word] = d.get(word, 0) + 1
    return calls * keys


KERNELS = {"dict": dict_ops, "mgr_array": mgr_array_ops, "words": word_counts}


def worker(kind, args, wid, n, go, q):
    fn = KERNELS[kind]
    go.wait()
    t0 = now()
    done = fn(*args, wid, n)
    t1 = now()
    q.put((wid, t0, t1, done))


def run_workers(ctx, kind, args, nworkers, n_each):
    go = ctx.Event()
    q = ctx.Queue()
    ps = [ctx.Process(target=worker, args=(kind, args, w, n_each, go, q)) for w in range(nworkers)]
    for p in ps:
        p.start()
    time.sleep(0.2)  # let the workers reach go.wait()
    go.set()
    res = [q.get() for _ in ps]
    for p in ps:
        p.join()
        assert p.exitcode == 0, p.exitcode
    t0 = min(r[1] for r in res)
    t1 = max(r[2] for r in res)
    total = sum(r[3] for r in res)
    return total / ((t1 - t0) / 1e9)


def bench_dict(ctx, args, report):
    n = args.ops
    with ctx.Manager() as mgr:
        d = mgr.dict()
        dict_ops(d, "warm", 200)
        # One client (the main process), sequential ops, each timed: latency and ops/s.
        lat = []
        pc = time.perf_counter_ns
        start = pc()
        for i in range(n // 2):
            k = ("main", i)
            t0 = pc(); d[k] = i; t1 = pc(); v = d[k]; t2 = pc()
            assert v == i
            lat.append((t1 - t0) / 1e3); lat.append((t2 - t1) / 1e3)
        elapsed = pc() - start
        lat.sort()
        report.record("dict.op_median", "us", f"Manager().dict one op (set or get), main client, median of {n}",
                      statistics.median(lat))
        report.record("dict.op_p99", "us", f"Manager().dict one op (set or get), main client, p99 of {n}", pctl(lat, 99))
        report.record("dict.ops_1client", "ops/s", f"Manager().dict set/get, main process client, {n} ops",
                      len(lat) / (elapsed / 1e9))
        report.record("dict.ops_2clients", "ops/s", f"Manager().dict set/get, 2 forked workers x {n} ops, aggregate",
                      run_workers(ctx, "dict", (d,), 2, n))

        keys_moved, elapsed = 0, 0
        for b in range(args.batches):
            fresh = mgr.dict()
            batch = {k: k * 3 for k in range(b * args.batch, (b + 1) * args.batch)}
            t0 = now()
            fresh.update(batch)
            back = fresh.copy()
            elapsed += now() - t0
            assert len(back) == args.batch and back[(b + 1) * args.batch - 1] == ((b + 1) * args.batch - 1) * 3
            keys_moved += 2 * args.batch
        report.record("dict.batched", "keys/s",
                      f"Manager().dict update({args.batch} pairs) + copy(), {args.batches} times: keys written + read per s",
                      keys_moved / (elapsed / 1e9))


def bench_array(ctx, args, report):
    with ctx.Manager() as mgr:
        a = mgr.Array("i", [0] * ARR_LEN)
        lk = mgr.Lock()
        rate = run_workers(ctx, "mgr_array", (a, lk), 2, args.increments)
        assert sum(a[j] for j in range(ARR_LEN)) == 2 * args.increments
    report.record("array.incr_2procs_lock", "incr/s",
                  f"Manager().Array a[j] = a[j] + 1 under Manager().Lock() (4 round trips), 2 workers x {args.increments}, aggregate",
                  rate)


def bench_wordcount(ctx, args, report):
    with ctx.Manager() as mgr:
        d = mgr.dict()
        lk = mgr.Lock()
        rate = run_workers(ctx, "words", (d, lk, args.keys, args.vocabulary), 2, args.calls)
        assert sum(d.values()) == 2 * args.calls * args.keys
    report.record("wordcount.keys", "keys/s",
                  f"Manager().dict d[w] = d.get(w, 0) + 1 under Manager().Lock(), {args.keys} words a batch, "
                  f"2 workers x {args.calls} batches, aggregate", rate)


FIGURES = {"dict": bench_dict, "array": bench_array, "wordcount": bench_wordcount}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--figure", required=True, choices=sorted(FIGURES))
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--ops", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--increments", type=int, default=2_500)
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--vocabulary", type=int, default=5000)
    args = ap.parse_args()
    ctx = mp.get_context("fork")
    report = Report(f"mp_manager.{args.figure}")
    for _ in range(args.reps):
        FIGURES[args.figure](ctx, args, report)
    report.emit()


if __name__ == "__main__":
    sys.exit(main())
