"""Benchmark of the reference network: nn_model (10000 iterations, n_h = 4) on the flower data
set, and how its time grows with the number of examples m.

Run with `make bench` or `.venv/bin/python bench/bench_ref.py [--repeats N]`. Larger m tiles the
flower's 400 points (the cost of an iteration depends on m, not on the values). Prints the median
of several runs and the time per example-iteration, whose ratio to the m = 400 case shows whether
the cost is linear in m (ratio near 1 or below).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from shallow_ref import nn_model  # noqa: E402
from shallow_ref.datasets import load_planar_dataset  # noqa: E402


def time_nn_model(X, Y, repeats, iterations):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        nn_model(X, Y, 4, num_iterations=iterations)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=10000)
    parser.add_argument("--sizes", default="400,4000,40000")
    args = parser.parse_args()

    X, Y = load_planar_dataset()
    print(f"nn_model, n_h = 4, {args.iterations} iterations; numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(f"{'m':>7} | {'median':>9} | {'min':>9} | {'max':>9} | {'us per 1k example-iters':>23}"
          f" | ratio to m=400")
    base = None
    for m in (int(s) for s in args.sizes.split(",")):
        reps = args.repeats if m <= 4000 else max(1, args.repeats // 2)
        k = -(-m // 400)
        Xm, Ym = np.tile(X, k)[:, :m], np.tile(Y, k)[:, :m]
        times = time_nn_model(Xm, Ym, reps, args.iterations)
        median = statistics.median(times)
        per = median / (m * args.iterations) * 1e9  # microseconds per 1000 example-iterations
        base = base or per
        print(f"{m:7d} | {median:7.3f} s | {min(times):7.3f} s | {max(times):7.3f} s | "
              f"{per:23.3f} | {per / base:6.2f}  ({reps} runs)")
    print("target: m = 400 at most 0.5 s; cost linear in m (ratio <= ~1)")


if __name__ == "__main__":
    main()
