"""What the peer scripts share: the JSON line they print, as troupe-bench prints it.

Every script prints, last on standard output, one JSON object:
  {"figure": ..., "results": [{"key", "unit", "desc", "min", "median", "max", "n", "values"}]}
with one value per repetition in "values". Progress lines go to standard error.
"""
import json
import math
import statistics
import sys
import time


def now():
    """CLOCK_MONOTONIC in ns: the same clock in every process."""
    return time.perf_counter_ns()


def pctl(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    k = max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)
    return sorted_vals[k]


class Report:
    def __init__(self, figure):
        self.figure = figure
        self.rows = {}

    def record(self, key, unit, desc, value):
        row = self.rows.setdefault(key, {"key": key, "unit": unit, "desc": desc, "values": []})
        row["values"].append(value)
        print(f"{key}: {value:.3f} {unit}", file=sys.stderr, flush=True)

    def emit(self):
        results = []
        for row in self.rows.values():
            v = row["values"]
            results.append({**row, "min": min(v), "median": statistics.median(v), "max": max(v), "n": len(v)})
        print(json.dumps({"figure": self.figure, "results": results}), flush=True)
