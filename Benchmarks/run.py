#!/usr/bin/env python3
"""`make bench`: Troupe's benchmarks side by side with Python multiprocessing and raw libzmq.

Builds troupe-bench in release mode and the libzmq C peers, then runs every benchmark in
rounds; within a round, each Troupe figure runs right beside its peers (which goes first
alternates between rounds), so that all sides see the same machine load. Prints one table
(figure, Troupe, peer, ratio, which way is better, the target set in ROWS below) and writes the same
rows to bench-results.json at the repository root; the raw values of every repetition go
to Benchmarks/results/latest.json, and the table as Markdown to Benchmarks/results/latest.md.

Usage:
  python3 Benchmarks/run.py                  # the full run: 5 rounds, or 3-4 on a loaded machine
  python3 Benchmarks/run.py --quick          # 1 round with smaller counts, for a first look
  python3 Benchmarks/run.py --only apply,dict --rounds 3
  python3 Benchmarks/run.py --scratch-path .build-bench   # or TROUPE_BENCH_SCRATCH_PATH
Needs: swift (6.1 or later), cc, libzmq3-dev, python3. Standard library only.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEERS = os.path.join(HERE, "peers")
ANCHORS_BUILD = os.path.join(HERE, "anchors-build")
RESULTS = os.path.join(HERE, "results")
PY = sys.executable or "python3"
C_PROGRAMS = ["zmq_pingpong", "zmq_pushpull"]

# Counts per run: (full, quick). The peers get the same counts as Troupe.
SIZES = {
    "calls": (5_000, 2_000),        # timed sync round trips (apply, call, one-child)
    "tasks": (20_000, 20_000),      # applyAsync / apply_async / submit
    "items": (200_000, 200_000),    # map
    "items1": (25_000, 10_000),     # map with chunksize 1 (~40 k/s for Python, ~8 k/s for a default Pool)
    "starts": (5, 3),               # pool starts per run
    "ops": (10_000, 4_000),         # shared dict ops per client
    "increments": (2_500, 1_000),   # Python Manager Array + Lock increments per worker
    "tincrements": (40_000, 20_000),  # Troupe pipelined increments per worker
    "roundtrips": (20_000, 10_000),  # raw libzmq ping-pong
    "messages": (1_000_000, 500_000),  # raw libzmq push/pull
    "payloads": (64, 16),           # 8 MiB items through map
    "wordcalls": (20, 5),           # word-count batches of 1,000 words per worker (Python; Troupe does 10x)
}


def fail(message):
    sys.stderr.write(f"\nbench: {message}\n")
    sys.exit(2)


# ------------------------------------------------------------------ building
def check_tools(swift):
    if shutil.which(swift) is None:
        fail(f"'{swift}' not found: install Swift 6.1 or later (https://www.swift.org/install/) "
             "or point SWIFT at it, e.g. SWIFT=/opt/swift/usr/bin/swift make bench")
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        fail(f"no C compiler ('{cc}'): the libzmq peers are C programs. apt-get install -y build-essential")
    if not any(os.path.exists(os.path.join(d, "zmq.h")) for d in ("/usr/include", "/usr/local/include", "/opt/homebrew/include")):
        fail("zmq.h not found: install libzmq (apt-get install -y libzmq3-dev; `make deps` does it)")
    return cc


def build_troupe(swift, scratch):
    argv = [swift, "build", "-c", "release", "--product", "troupe-bench"]
    if scratch:
        argv += ["--scratch-path", scratch]
    print(f"building: {' '.join(argv)}", flush=True)
    t0 = time.time()
    p = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-6000:])
        fail("swift build failed (output above)")
    p = subprocess.run(argv[:4] + (["--scratch-path", scratch] if scratch else []) + ["--show-bin-path"],
                       cwd=ROOT, capture_output=True, text=True)
    binary = os.path.join(p.stdout.strip().splitlines()[-1], "troupe-bench")
    if not os.access(binary, os.X_OK):
        fail(f"the build said it succeeded but {binary} is missing")
    print(f"built {os.path.relpath(binary, ROOT)} in {time.time() - t0:.0f} s", flush=True)
    return binary


def build_c(cc):
    os.makedirs(ANCHORS_BUILD, exist_ok=True)
    for name in C_PROGRAMS:
        src, out = os.path.join(PEERS, name + ".c"), os.path.join(ANCHORS_BUILD, name)
        if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
            continue
        argv = [cc, "-O2", "-Wall", "-o", out, src, "-lzmq", "-lm"]
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            fail(f"cannot build {name}: {' '.join(argv)} (is libzmq3-dev installed?)")


# ------------------------------------------------------------------ jobs
class Job:
    """One command that prints a JSON line of results; `side` is troupe, python or libzmq."""

    def __init__(self, side, label, argv):
        self.side, self.label, self.argv = side, label, argv


def groups(binary, quick):
    n = {k: v[1] if quick else v[0] for k, v in SIZES.items()}
    tb = [binary]
    mp_pool = [PY, os.path.join(PEERS, "mp_pool.py")]
    cf_pool = [PY, os.path.join(PEERS, "cf_pool.py")]
    mp_manager = [PY, os.path.join(PEERS, "mp_manager.py")]
    pid = os.getpid()

    def c(name, *args):
        return [os.path.join(ANCHORS_BUILD, name), *map(str, args)]

    def T(label, *args):
        return Job("troupe", label, tb + list(map(str, args)))

    def P(label, argv):
        return Job("python", label, argv)

    def Z(label, argv):
        return Job("libzmq", label, argv)

    return {
        "apply": [
            T("apply", "apply", "--calls", n["calls"]),
            P("apply fork", mp_pool + ["--figure", "apply", "--method", "fork", "--calls", str(n["calls"])]),
            Z("pingpong", c("zmq_pingpong", f"ipc:///tmp/troupe-bench-{pid}-pp.ipc", 16, n["roundtrips"], "dealer")),
        ],
        "apply-async": [
            T("applyAsync 2", "apply-async", "--workers", 2, "--tasks", n["tasks"]),
            T("applyAsync 2 depth 1", "apply-async", "--workers", 2, "--depth", 1, "--tasks", n["tasks"]),
            P("apply_async fork 2", mp_pool + ["--figure", "apply_async", "--method", "fork", "--tasks", str(n["tasks"])]),
            P("apply_async spawn 2", mp_pool + ["--figure", "apply_async", "--method", "spawn", "--tasks", str(n["tasks"])]),
            P("submit fork 2", cf_pool + ["--figure", "submit", "--method", "fork", "--tasks", str(n["tasks"])]),
        ],
        "workers": [
            T("applyAsync 1", "apply-async", "--workers", 1, "--tasks", n["tasks"]),
            P("apply_async fork 1", mp_pool + ["--figure", "apply_async", "--workers", "1", "--tasks", str(n["tasks"])]),
            T("applyAsync 4", "apply-async", "--workers", 4, "--tasks", n["tasks"]),
            P("apply_async fork 4", mp_pool + ["--figure", "apply_async", "--workers", "4", "--tasks", str(n["tasks"])]),
        ],
        "map": [
            T("map chunk 1", "map", "--chunksize", 1, "--items", n["items1"]),
            P("map chunk 1", mp_pool + ["--figure", "map", "--chunksize", "1", "--items", str(n["items1"])]),
            T("map auto", "map", "--chunksize", "auto", "--items", n["items"]),
            T("mapChunks", "map-chunks", "--items", n["items"]),
            P("map default", mp_pool + ["--figure", "map", "--chunksize", "default", "--items", str(n["items"])]),
        ],
        "payload": [
            T("payload", "payload", "--items", n["payloads"]),
            P("payload fork", mp_pool + ["--figure", "payload", "--items", str(n["payloads"])]),
        ],
        "start": [
            T("pool start", "pool-start", "--starts", n["starts"]),
            P("start spawn", mp_pool + ["--figure", "start", "--method", "spawn", "--starts", str(n["starts"])]),
            P("start fork", mp_pool + ["--figure", "start", "--method", "fork", "--starts", str(n["starts"])]),
        ],
        "call": [
            T("call", "call", "--calls", n["calls"], "--pipelined", 50_000),
            Z("pushpull", c("zmq_pushpull", f"ipc:///tmp/troupe-bench-{pid}-thr.ipc", 16, n["messages"])),
        ],
        "dict": [
            T("dict", "dict", "--ops", n["ops"]),
            P("manager dict", mp_manager + ["--figure", "dict", "--ops", str(n["ops"])]),
        ],
        "array": [
            T("array", "array", "--increments", n["tincrements"], "--sequential", n["increments"] * 2),
            P("manager array", mp_manager + ["--figure", "array", "--increments", str(n["increments"])]),
        ],
        "wordcount": [
            T("word count", "wordcount", "--calls", n["wordcalls"] * 10),
            P("manager word count", mp_manager + ["--figure", "wordcount", "--calls", str(n["wordcalls"])]),
        ],
        "supervisor": [
            T("supervisor loopback", "supervisor", "--tasks", n["tasks"] // 2),
        ],
        "rss": [
            T("rss", "rss"),
            P("rss spawn", mp_pool + ["--figure", "rss", "--method", "spawn"]),
        ],
    }


def run_job(job, values, log):
    t0 = time.time()
    try:
        p = subprocess.run(job.argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        log.append(f"{job.side} {job.label}: timed out after 300 s: {' '.join(job.argv)}")
        print(f"  {job.side:7s} {job.label:22s} TIMED OUT", flush=True)
        return False
    lines = [line for line in p.stdout.strip().splitlines() if line.startswith("{")]
    if p.returncode != 0 or not lines:
        log.append(f"{job.side} {job.label}: exit {p.returncode}: {' '.join(job.argv)}\n{p.stderr[-2000:]}")
        print(f"  {job.side:7s} {job.label:22s} FAILED (exit {p.returncode})", flush=True)
        return False
    out = json.loads(lines[-1])
    if job.side == "libzmq":  # the C programs print one object of their own
        if "median_us" in out:
            rows = [("zmq.pingpong.median", "us", out["median_us"]), ("zmq.pingpong.p99", "us", out["p99_us"])]
        else:
            rows = [("zmq.pushpull", "msgs/s", out["msgs_per_s"])]
    else:
        rows = [(r["key"], r["unit"], v) for r in out["results"] for v in r["values"]]
    mine = {}
    for key, unit, v in rows:
        values.setdefault(f"{job.side}:{key}", {"unit": unit, "values": []})["values"].append(v)
        mine.setdefault(key.split(".", 1)[-1], []).append(v)
    shown = ", ".join(f"{k} {fmt(statistics.median(v))}" for k, v in mine.items())
    print(f"  {job.side:7s} {job.label:22s} {time.time() - t0:5.1f} s  {shown}", flush=True)
    return True


# ------------------------------------------------------------------ the table
# (figure, unit, troupe key, peer key, peer name, better, target): target is
# ("ratio", op, x) against the ratio, ("value", op, x) against Troupe's own figure, or None.
ROWS = [
    ("sync apply round trip, median", "us", "apply.median", "libzmq:zmq.pingpong.median",
     "libzmq DEALER/ROUTER ipc 16 B round trip", "lower", ("ratio", "<=", 1.25)),
    ("sync apply round trip, median", "us", "apply.median", "python:apply.median[fork]",
     "Python Pool(2).apply [fork]", "lower", None),
    ("sync apply round trip, p99", "us", "apply.p99", "libzmq:zmq.pingpong.p99",
     "libzmq DEALER/ROUTER ipc 16 B, p99", "lower", None),
    ("sync apply round trip, p99", "us", "apply.p99", "python:apply.p99[fork]",
     "Python Pool(2).apply p99 [fork]", "lower", None),
    ("applyAsync x20,000 trivial tasks", "tasks/s", "apply_async.workers2", "python:apply_async.workers2[fork]",
     "Python Pool(2).apply_async [fork]", "higher", ("ratio", ">=", 10)),
    ("applyAsync x20,000 trivial tasks", "tasks/s", "apply_async.workers2", "python:apply_async.workers2[spawn]",
     "Python Pool(2).apply_async [spawn]", "higher", ("ratio", ">=", 10)),
    ("applyAsync x20,000 trivial tasks", "tasks/s", "apply_async.workers2", "python:ppe.submit.workers2[fork]",
     "Python ProcessPoolExecutor(2).submit [fork]", "higher", None),
    ("applyAsync x20,000, pipelineDepth 1 (no prefetch)", "tasks/s", "apply_async.workers2.depth1",
     "python:apply_async.workers2[fork]", "Python Pool(2).apply_async [fork]", "higher", None),
    ("map, chunk size 1", "items/s", "map.chunk1", "python:map.chunk1[fork]",
     "Python Pool(2).map chunksize=1 [fork]", "higher", ("ratio", ">=", 5)),
    ("map of 200,000 ints, automatic chunks (per-item closure)", "items/s", "map.auto", "python:map.default[fork]",
     "Python Pool(2).map default chunks [fork]", "higher", ("ratio", ">=", 2)),
    ("mapChunks of 200,000 ints, automatic chunks", "items/s", "map_chunks.auto", "python:map.default[fork]",
     "Python Pool(2).map default chunks [fork]", "higher", ("ratio", ">=", 1)),
    ("map over 64 items of 8 MiB, [UInt8]", "MB/s", "payload.bytes", "python:payload.bytes[fork]",
     "Python Pool(2).map(len) over 8 MiB bytes [fork]", "higher", ("ratio", ">=", 1)),
    ("map over 64 items of 8 MiB, [Double]", "MB/s", "payload.doubles", "python:payload.bytes[fork]",
     "Python Pool(2).map(len) over 8 MiB bytes [fork]", "higher", ("ratio", ">=", 1)),
    ("map over 64 items of 8 MiB, [UInt8]", "MB/s", "payload.bytes", "troupe:payload.memcpy",
     "memcpy in one process (the ceiling)", "higher", None),
    ("pool of 2: start to ready", "ms", "pool_start.ready", "python:pool_start.ready[spawn]",
     "Python Pool(2) start to ready [spawn]", "lower", ("ratio", "<", 1 / 3)),
    ("pool of 2: start to ready", "ms", "pool_start.ready", "python:pool_start.ready[fork]",
     "Python Pool(2) start to ready [fork]", "lower", None),
    ("pool of 2: close to joined", "ms", "pool_start.close_join", "python:pool_start.close_join[spawn]",
     "Python Pool(2) close()+join() [spawn]", "lower", None),
    ("pool of 2: close to joined", "ms", "pool_start.close_join", "python:pool_start.close_join[fork]",
     "Python Pool(2) close()+join() [fork]", "lower", None),
    ("distributed call to one child, median", "us", "call.median", "libzmq:zmq.pingpong.median",
     "libzmq DEALER/ROUTER ipc 16 B round trip", "lower", None),
    ("distributed call to one child, p99", "us", "call.p99", "libzmq:zmq.pingpong.p99",
     "libzmq DEALER/ROUTER ipc 16 B, p99", "lower", None),
    ("distributed calls to one child, 64 in flight", "calls/s", "call.pipelined", "libzmq:zmq.pushpull",
     "libzmq PUSH->PULL ipc 16 B, one way (a ceiling)", "higher", ("ratio", ">=", 0.10)),
    ("dict one op (owner process), median", "us", "dict.op_median", "libzmq:zmq.pingpong.median",
     "libzmq DEALER/ROUTER ipc 16 B round trip", "lower", ("ratio", "<=", 1.25)),
    ("dict one op (owner process), median", "us", "dict.op_median", "python:dict.op_median",
     "Python Manager().dict one op", "lower", None),
    ("dict one op (owner process), p99", "us", "dict.op_p99", "python:dict.op_p99",
     "Python Manager().dict one op, p99", "lower", None),
    ("dict ops/s, 1 client", "ops/s", "dict.ops_1client", "python:dict.ops_1client",
     "Python Manager().dict, 1 client", "higher", None),
    ("dict ops/s, 2 client processes", "ops/s", "dict.ops_2clients", "python:dict.ops_2clients",
     "Python Manager().dict, 2 processes", "higher", None),
    ("dict ops/s, 2 clients, 32 pairs in flight each", "ops/s", "dict.ops_2clients_pipelined", "python:dict.ops_2clients",
     "Python Manager().dict, 2 processes", "higher", None),
    ("dict batched (update + read back)", "keys/s", "dict.batched", "python:dict.batched",
     "Python Manager().dict update() + copy()", "higher", ("ratio", ">=", 1)),
    ("word-count increments, 1,000 words a call, 2 procs", "keys/s", "wordcount.keys", "python:wordcount.keys",
     "Python Manager().dict under Manager().Lock, 2 procs", "higher", ("ratio", ">=", 10)),
    ("atomic array increments, 2 procs, 32 in flight each", "incr/s", "array.incr_2procs_pipelined",
     "python:array.incr_2procs_lock", "Python Manager().Array + Manager().Lock, 2 procs", "higher", ("ratio", ">=", 20)),
    ("atomic array increments, 2 procs, one at a time", "incr/s", "array.incr_2procs_sequential",
     "python:array.incr_2procs_lock", "Python Manager().Array + Manager().Lock, 2 procs", "higher", None),
    ("trivial tasks through a loopback supervisor, 2 workers", "tasks/s", "supervisor.loopback", "troupe:supervisor.local",
     "Troupe local pool of 2, applyAsync, same run", "higher", ("ratio", ">=", 0.5)),
    ("idle worker RSS", "MiB", "rss.idle_worker", "python:rss.idle_worker[spawn]",
     "Python idle Process [spawn]", "lower", ("value", "<", 15)),
    ("idle worker private memory (not shared)", "MiB", "rss.idle_worker_private", "python:rss.idle_worker_private[spawn]",
     "Python idle Process [spawn]", "lower", ("ratio", "<", 0.25)),
    ("throughput, 1 worker (applyAsync x20,000)", "tasks/s", "apply_async.workers1", "python:apply_async.workers1[fork]",
     "Python Pool(1).apply_async [fork]", "higher", None),
    ("throughput, 2 workers (applyAsync x20,000)", "tasks/s", "apply_async.workers2", "python:apply_async.workers2[fork]",
     "Python Pool(2).apply_async [fork]", "higher", None),
    ("throughput, 4 workers (applyAsync x20,000)", "tasks/s", "apply_async.workers4", "python:apply_async.workers4[fork]",
     "Python Pool(4).apply_async [fork]", "higher", None),
]


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f} M"
    if a >= 1e4:
        return f"{v / 1e3:.1f} k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def target_text(target):
    if target is None:
        return ""
    kind, op, x = target
    op = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}[op]
    if kind == "ratio":
        return f"ratio {op} " + ("1/3" if abs(x - 1 / 3) < 1e-9 else f"{x:g}")
    return f"{op} {fmt(x)}"


def holds(target, troupe, ratio):
    if target is None or troupe is None:
        return None
    kind, op, x = target
    v = ratio if kind == "ratio" else troupe
    if v is None:
        return None
    return {"<=": v <= x, ">=": v >= x, "<": v < x, ">": v > x}[op]


def make_rows(values):
    def med(key):
        entry = values.get(key)
        return statistics.median(entry["values"]) if entry else None

    rows = []
    for name, unit, tkey, pkey, pname, better, target in ROWS:
        troupe, peer = med("troupe:" + tkey), med(pkey)
        ratio = troupe / peer if troupe is not None and peer else None
        rows.append({"name": f"{name} ({unit})", "key": f"{tkey} vs {pkey}", "unit": unit,
                     "troupe": troupe, "peer": peer, "peer_name": pname,
                     "ratio": ratio, "better": better, "target": target_text(target) or None,
                     "target_met": holds(target, troupe, ratio)})
    return rows


def render(rows, markdown=False):
    def mark(r):
        if r["target"] is None:
            return ""
        return r["target"] + {True: "  ok", False: "  MISSED", None: "  ?"}[r["target_met"]]

    cells = [(r["name"], fmt(r["troupe"]), fmt(r["peer"]), "-" if r["ratio"] is None else f"{r['ratio']:.2f}",
              r["better"], mark(r), r["peer_name"]) for r in rows]
    head = ("figure", "Troupe", "peer", "ratio", "better", "target", "peer is")
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join(out)
    w = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    line = lambda c: "  ".join([c[0].ljust(w[0]), c[1].rjust(w[1]), c[2].rjust(w[2]), c[3].rjust(w[3]),
                                c[4].ljust(w[4]), c[5].ljust(w[5]), c[6]])
    return "\n".join([line(head), "  ".join("-" * x for x in w)] + [line(c) for c in cells])


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 round with smaller counts")
    ap.add_argument("--rounds", type=int, help="rounds at most (default 5, or 1 with --quick)")
    ap.add_argument("--budget", type=float,
                    help="seconds of benchmarks after which no new round starts once 3 are done "
                         "(default 230; the machine's load decides how many rounds fit)")
    ap.add_argument("--only", help="comma-separated groups: " + ", ".join(groups("troupe-bench", False)))
    ap.add_argument("--scratch-path", default=os.environ.get("TROUPE_BENCH_SCRATCH_PATH"),
                    help="swift build scratch path (default: .build; env TROUPE_BENCH_SCRATCH_PATH)")
    ap.add_argument("--swift", default=os.environ.get("SWIFT", "swift"), help="the swift driver (env SWIFT)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-results.json"))
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 5)
    budget = args.budget if args.budget is not None else 230
    min_rounds = min(rounds, 3)

    names = list(groups("troupe-bench", args.quick))
    chosen = names
    if args.only:
        chosen = [g.strip() for g in args.only.split(",") if g.strip()]
        unknown = [g for g in chosen if g not in names]
        if unknown:
            fail(f"unknown group(s) {', '.join(unknown)}; groups: {', '.join(names)}")

    cc = check_tools(args.swift)
    build_c(cc)
    binary = build_troupe(args.swift, args.scratch_path)
    all_groups = groups(binary, args.quick)

    meta = {**machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "rounds": rounds, "quick": args.quick,
            "loadavg_start": os.getloadavg()}
    print(f"{meta['date']}  {meta['cpus']} CPUs ({meta['cpu']}), load {meta['loadavg_start'][0]:.2f}; "
          f"{rounds} round(s){' (quick)' if args.quick else ''}", flush=True)
    values, log = {}, []
    t0 = time.time()
    done = 0
    for r in range(rounds):
        spent = time.time() - t0
        if done >= min_rounds and spent + spent / done > budget:
            print(f"stopping after {done} rounds: another would pass the {budget:.0f} s budget (load {os.getloadavg()[0]:.1f})")
            break
        print(f"round {r + 1}/{rounds}", flush=True)
        for g in chosen:
            jobs = all_groups[g] if r % 2 == 0 else list(reversed(all_groups[g]))
            for job in jobs:
                run_job(job, values, log)
        done += 1
    rounds = meta["rounds"] = done
    meta["loadavg_end"] = os.getloadavg()
    meta["seconds"] = round(time.time() - t0, 1)

    rows = make_rows(values)
    if args.only:
        rows = [r for r in rows if r["troupe"] is not None or r["peer"] is not None]
    print()
    print(f"Troupe vs peers, medians of {rounds} round(s); {meta['date']}; {meta['cpus']} CPUs, "
          f"load {meta['loadavg_start'][0]:.2f} -> {meta['loadavg_end'][0]:.2f}; {meta['seconds']:.0f} s of benchmarks")
    print(render(rows))
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "latest.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows, "values": values, "failures": log}, f, indent=1)
    with open(os.path.join(RESULTS, "latest.md"), "w") as f:
        f.write(f"{meta['date']}, {meta['platform']}, {meta['cpus']} CPUs ({meta['cpu']}), "
                f"load {meta['loadavg_start'][0]:.2f} -> {meta['loadavg_end'][0]:.2f}, medians of {rounds} round(s)\n\n")
        f.write(render(rows, markdown=True) + "\n")
    print(f"\nwrote {os.path.relpath(args.out)} (and Benchmarks/results/latest.json, latest.md)")
    missed = [r["name"] for r in rows if r["target_met"] is False]
    if missed:
        print(f"targets missed: {len(missed)} (see the target column)")
    if log:
        sys.stderr.write("\nsome benchmarks failed; their figures show as '-':\n" + "\n".join(log) + "\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
