#!/usr/bin/env python3
"""The per-step cost of `rbk run`, for one or more rbk binaries side by side.

    bench/step_compare.py [--n 400] [--rounds 15] [--cpu C] RBK [RBK...]

Each round measures, one after another in this process: the floor (a shell
loop of `sh -c true`, N times and once) and then each binary (`rbk run` of a
runbook of N `run \\`true\\`` steps, and of one). A step's cost is
(T(N) - T(1)) / (N - 1). Prints the median of each over the rounds and each
binary's ratio to the floor's median. Meant for "before and after" on one
machine: between two separate bench.py runs the per-step rows move more than
a change of a few tens of microseconds a step does; here the binaries see
the same moments. --cpu C runs everything on that CPU only (taskset), which
takes the scheduler's moves between CPUs out of the figure.

Prints figures; asserts nothing (not a test).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import steps_runbook  # noqa: E402  (the runbook bench.py's step row runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rbk", nargs="+", help="rbk binaries to compare")
    ap.add_argument("--n", type=int, default=400, help="steps in the long run (default 400)")
    ap.add_argument("--rounds", type=int, default=15, help="rounds (default 15)")
    ap.add_argument("--cpu", type=int, help="run everything on this CPU only")
    args = ap.parse_args()
    prefix = ["taskset", "-c", str(args.cpu)] if args.cpu is not None else []
    binaries = [os.path.realpath(b) for b in args.rbk]
    work = tempfile.mkdtemp(prefix="rbk-step-compare-")
    # Records go to the throwaway directory, not the user's state directory.
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"))
    try:
        one, many = steps_runbook(os.path.join(work, "1"), 1), steps_runbook(
            os.path.join(work, str(args.n)), args.n)

        def timed(cmd, cwd=None):
            start = time.perf_counter()
            subprocess.run(prefix + cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            return time.perf_counter() - start

        def floor(count):
            return timed(["sh", "-c", f"i=0; while [ $i -lt {count} ]; do sh -c true; "
                          "i=$((i+1)); done"])

        def run(binary, d):
            return timed([binary, "run", "bench.rbk", "--non-interactive"], cwd=d)

        floors, per = [], {b: [] for b in binaries}
        for _ in range(args.rounds):
            floors.append((floor(args.n) - floor(1)) / (args.n - 1))
            for b in binaries:
                per[b].append((run(b, many) - run(b, one)) / (args.n - 1))
        f = statistics.median(floors)
        where = f"on CPU {args.cpu}" if args.cpu is not None else "any CPU"
        print(f"per-step cost, N = {args.n}, {args.rounds} rounds, {where} (medians)")
        print(f"  floor (sh -c true loop)  {f * 1e6:7.0f} µs")
        for b in binaries:
            m = statistics.median(per[b])
            print(f"  {b:<24} {m * 1e6:7.0f} µs   {m / f:.2f}× the floor")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
