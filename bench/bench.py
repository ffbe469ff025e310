#!/usr/bin/env python3
"""rbk against its floor, measured side by side: the table of issue 12.

    bench/bench.py [--rbk build/rbk] [--quick] [--samples N] [ROW...]

Each row runs the floor (what the same work costs without rbk: `sh -c true`,
a shell loop of `sh -c true`, `cat`) and rbk alternately, SAMPLES times
(paired, so both see the same moment's load), and prints the median of each
and the median of the paired ratios. Absolute times on a shared machine mean
little; the ratios are the figures. --quick runs smaller sizes and fewer
samples, in under two minutes. Rows (default: all):

  startup   rbk --version                      vs  sh -c true
  check     rbk check of one runbook           vs  sh -c true
  step      rbk run's cost per `run \\`true\\`` step, (T(N)-T(1))/(N-1),
            at two N, and (full run only) with 1,000 idle processes
                                                vs  N sh -c true from one loop
  output    one step printing BYTES of `yes`, terminal display (a pty), and
            with --json; also rbk's peak RSS    vs  the same into cat >/dev/null
            (and for reference, the display run vs  the same into cat > FILE)
  lint      rbk lint --no-shellcheck of FILES runbooks; peak RSS
                                                vs  cat of the same files
  shellcheck rbk lint (ShellCheck on) of 60 runbooks: time and shellcheck
            processes started
  fmt       rbk fmt --check of FILES runbooks   vs  cat of the same files
  ansible   ansible-playbook / ansible-lint, when installed

Prints figures; asserts nothing (not a test).
"""

import argparse
import os
import pty
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS = ["startup", "check", "step", "output", "lint", "shellcheck", "fmt", "ansible"]


class Result:
    """One run: wall seconds, peak RSS in KiB of the process tree, exit status."""

    def __init__(self, seconds, rss_kib, status):
        self.seconds = seconds
        self.rss_kib = rss_kib
        self.status = status


def run(argv, cwd=None, env=None, tty=False, timeout=None):
    """Runs argv with output discarded (or drained from a pty when `tty`)."""
    start = time.perf_counter()
    master = None
    if tty:
        master, slave = pty.openpty()
        out = slave
    else:
        out = subprocess.DEVNULL
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=out, start_new_session=True)
    drain = None
    if tty:
        os.close(slave)

        def pump():
            try:
                while os.read(master, 1 << 20):
                    pass
            except OSError:
                pass

        drain = threading.Thread(target=pump, daemon=True)
        drain.start()
    deadline = None if timeout is None else start + timeout
    status, usage = None, None
    while True:
        pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status, usage = os.waitstatus_to_exitcode(st), ru
            break
        if deadline and time.perf_counter() > deadline:
            os.killpg(proc.pid, 9)
            _, st, ru = os.wait4(proc.pid, 0)
            status, usage = None, ru
            break
        time.sleep(0.002)  # polling a child's end; not a synchronisation of tests
    seconds = time.perf_counter() - start
    proc.returncode = 0  # reaped above
    if drain:
        drain.join(timeout=5)
        os.close(master)
    return Result(seconds if status is not None else float("inf"), usage.ru_maxrss, status)


def paired(floor, rbk, samples):
    """Alternates floor() and rbk() `samples` times; medians and paired ratio."""
    fs, rs, ratios, rss = [], [], [], []
    for i in range(samples):
        order = [(floor, fs), (rbk, rs)] if i % 2 == 0 else [(rbk, rs), (floor, fs)]
        got = {}
        for fn, into in order:
            r = fn()
            into.append(r.seconds)
            got[id(into)] = r
        rss.append(got[id(rs)].rss_kib)
        if fs[-1] > 0:
            ratios.append(rs[-1] / fs[-1])
    return statistics.median(fs), statistics.median(rs), statistics.median(ratios), max(rss)


def steps_runbook(d, n):
    """Writes D/bench.rbk, a runbook of N `run `true`` steps; returns D."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "bench.rbk"), "w") as fh:
        fh.write("runbook bench {\n  diagnose {\n")
        for i in range(n):
            fh.write(f"    step s{i} \"Step {i}\" {{ run `true` }}\n")
        fh.write("  }\n}\n")
    return d


def sh_loop(command, count):
    """A shell loop running `command` `count` times (output discarded)."""
    return ["sh", "-c", f'i=0; while [ $i -lt {count} ]; do {command} >/dev/null 2>&1; '
            f'i=$((i+1)); done']


def q(path):
    return "'" + path.replace("'", "'\\''") + "'"


def fmt_s(seconds):
    if seconds == float("inf"):
        return "timeout"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


class Bench:
    def __init__(self, args):
        self.rbk = os.path.abspath(args.rbk)
        self.quick = args.quick
        self.samples = args.samples or (3 if args.quick else 7)
        self.work = tempfile.mkdtemp(prefix="rbk-bench-")
        self.rows = []  # (measure, floor, rbk, ratio, aim)
        self._corpus = {}

    def add(self, measure, floor, rbk, ratio, aim):
        self.rows.append((measure, floor, rbk, ratio, aim))
        print(f"  {measure}: floor {floor}, rbk {rbk}, {ratio}", file=sys.stderr, flush=True)

    # ---------------------------------------------------------------- rows

    def startup(self):
        k = 20 if self.quick else 50
        f, r, ratio, _ = paired(lambda: run(sh_loop("sh -c true", k)),
                                lambda: run(sh_loop(q(self.rbk) + " --version", k)), self.samples)
        self.add("start-up `rbk --version` vs `sh -c true`", fmt_s(f / k), fmt_s(r / k),
                 f"{ratio:.2f}×", "≤ 2×")

    def check(self):
        k = 10 if self.quick else 30
        one = q(os.path.join(ROOT, "runbooks", "db-down.rbk"))
        f, r, ratio, _ = paired(lambda: run(sh_loop("sh -c true", k)),
                                lambda: run(sh_loop(f"{q(self.rbk)} check {one}", k), cwd=ROOT),
                                self.samples)
        self.add("`rbk check` of one file vs `sh -c true`", fmt_s(f / k), fmt_s(r / k),
                 f"{ratio:.2f}×", "≤ 2×")

    def _steps_runbook(self, n):
        return steps_runbook(os.path.join(self.work, f"steps{n}"), n)

    def _per_step(self, n, label):
        d1, dn = self._steps_runbook(1), self._steps_runbook(n)
        rbk_run = lambda d: run([self.rbk, "run", "bench.rbk", "--non-interactive"], cwd=d)
        floor_run = lambda count: run(sh_loop("sh -c true", count))
        fs, rs, ratios = [], [], []
        for i in range(self.samples):
            a = (floor_run(n).seconds - floor_run(1).seconds) / (n - 1)
            b = (rbk_run(dn).seconds - rbk_run(d1).seconds) / (n - 1)
            fs.append(a)
            rs.append(b)
            if a > 0:
                ratios.append(b / a)
            shutil.rmtree(os.path.join(dn, ".rbk"), ignore_errors=True)
            shutil.rmtree(os.path.join(d1, ".rbk"), ignore_errors=True)
        self.add(f"per-step cost of `rbk run`, N = {n}{label}", fmt_s(statistics.median(fs)),
                 fmt_s(statistics.median(rs)), f"{statistics.median(ratios):.2f}×",
                 "≤ 1.2×, flat")

    def step(self):
        for n in ([50] if self.quick else [50, 400]):
            self._per_step(n, "")
        if not self.quick:
            idle = [subprocess.Popen(["sleep", "3600"], start_new_session=True)
                    for _ in range(1000)]
            try:
                self._per_step(50, ", 1,000 idle processes")
            finally:
                for p in idle:
                    p.kill()
                for p in idle:
                    p.wait()

    def output(self, size):
        d = os.path.join(self.work, "output")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "out.rbk"), "w") as fh:
            fh.write("runbook out {\n  diagnose {\n"
                     f"    step yes \"Print\" {{ run `yes | head -c {size}` timeout 1h }}\n"
                     "  }\n}\n")
        limit = 60 if self.quick else 900
        mib = f"{size / (1 << 20):.0f} MiB"
        floor = lambda: run(["sh", "-c", f"yes | head -c {size} | cat > /dev/null"])

        def timed_out_or(f, r, ratio):
            """The floor, rbk and rbk's share of its speed; a run that hit `limit` shares 0 %."""
            if r == float("inf"):
                return fmt_s(f), f"> {limit} s", "0 % of the floor's speed"
            return fmt_s(f), fmt_s(r), f"{100 / ratio:.1f} % of the floor's speed"

        def rbk_run(argv, tty):
            def rbk():
                r = run([self.rbk, "run", "out.rbk", "--non-interactive"] + argv, cwd=d, tty=tty,
                        timeout=limit)
                shutil.rmtree(os.path.join(d, ".rbk"), ignore_errors=True)
                return r
            return rbk

        for label, argv, tty in (("terminal display", [], True), ("--json", ["--json"], False)):
            rbk = rbk_run(argv, tty)
            f, r, ratio, rss = paired(floor, rbk, self.samples if self.quick else 3)
            self.add(f"one step printing {mib} of `yes`, {label}, vs `cat > /dev/null`",
                     *timed_out_or(f, r, ratio), "≥ 80 %")
            if tty:
                self.add("peak RSS of rbk for that step", "", f"{rss / 1024:.0f} MiB", "",
                         "≤ 32 MiB")
        # What the record alone costs: rbk writes every byte to a file on disk.
        target = os.path.join(d, "written")
        to_file = lambda: run(["sh", "-c", f"yes | head -c {size} | cat > {q(target)}"])
        f, r, ratio, _ = paired(floor, to_file, self.samples if self.quick else 3)
        os.unlink(target)
        self.add(f"for reference: `cat > FILE` of the same {mib} (the record's share) "
                 "vs `cat > /dev/null`", fmt_s(f), fmt_s(r), f"{100 / ratio:.1f} % of the floor's speed",
                 "")
        # rbk against the floor that keeps every byte on disk, as its record
        # must (promise 4): what rbk's own work costs beyond that write.
        f, r, ratio, _ = paired(to_file, rbk_run([], True), self.samples if self.quick else 3)
        os.unlink(target)
        self.add(f"for reference: one step printing {mib} of `yes`, terminal display, "
                 "vs `cat > FILE`", *timed_out_or(f, r, ratio), "")

    def corpus(self, n):
        """N runbooks: copies of runbooks/ and examples/, each renamed."""
        if n in self._corpus:
            return self._corpus[n]
        d = os.path.join(self.work, f"corpus{n}")
        os.makedirs(d)
        seeds = sorted(os.path.join(ROOT, s, f) for s in ("runbooks", "examples")
                       for f in os.listdir(os.path.join(ROOT, s)) if f.endswith(".rbk"))
        texts = [open(s).read() for s in seeds]
        for i in range(n):
            t = re.sub(r"^runbook ([a-z0-9-]+)", lambda m: f"runbook {m.group(1)}-{i}",
                       texts[i % len(texts)], count=1, flags=re.M)
            with open(os.path.join(d, f"r{i}.rbk"), "w") as fh:
                fh.write(t)
        shutil.copytree(os.path.join(ROOT, "stdlib"), os.path.join(d, "stdlib"))
        if os.path.exists(os.path.join(ROOT, "examples", "rbk.yaml")):
            shutil.copy(os.path.join(ROOT, "examples", "rbk.yaml"), d)
        self._corpus[n] = d
        return d

    def _over_corpus(self, n, argv, aim):
        d = self.corpus(n)
        cat = ["sh", "-c", f"cat {q(d)}/*.rbk > /dev/null"]
        f, r, ratio, rss = paired(lambda: run(cat), lambda: run([self.rbk] + argv + [d], cwd=d),
                                  self.samples)
        self.add(f"`rbk {' '.join(argv)}` of {n:,} runbooks vs `cat`", fmt_s(f), fmt_s(r),
                 f"{ratio:.1f}×", aim)
        return rss

    def lint(self):
        n = 2000 if self.quick else 10000
        rss = self._over_corpus(n, ["lint", "--no-shellcheck"], "≤ 1 s")
        self.add(f"peak RSS of that lint", "", f"{rss / 1024:.0f} MiB", "", "flat in files")

    def fmt(self):
        self._over_corpus(2000 if self.quick else 10000, ["fmt", "--check"], "≤ 2×")

    def shellcheck(self):
        if not shutil.which("shellcheck"):
            self.add("ShellCheck over 60 files", "", "shellcheck not installed", "", "")
            return
        n = 10 if self.quick else 60
        d = os.path.join(self.work, f"sc{n}")
        os.makedirs(d)
        src = self.corpus(n)
        for f in sorted(os.listdir(src)):
            if f.endswith(".rbk"):
                shutil.copy(os.path.join(src, f), d)
        shutil.copytree(os.path.join(src, "stdlib"), os.path.join(d, "stdlib"))
        # A shim first in PATH counts the shellcheck processes rbk starts.
        shim = os.path.join(self.work, "shim")
        os.makedirs(shim, exist_ok=True)
        count = os.path.join(self.work, "shellcheck.count")
        real = shutil.which("shellcheck")
        with open(os.path.join(shim, "shellcheck"), "w") as fh:
            fh.write(f"#!/bin/sh\necho >> {q(count)}\nexec {q(real)} \"$@\"\n")
        os.chmod(os.path.join(shim, "shellcheck"), 0o755)
        env = dict(os.environ, PATH=shim + ":" + os.environ.get("PATH", ""))
        open(count, "w").close()
        r = run([self.rbk, "lint", d], cwd=d, env=env)
        started = sum(1 for _ in open(count))
        self.add(f"`rbk lint` with ShellCheck of {n} runbooks", "", fmt_s(r.seconds),
                 f"{started} shellcheck processes", "one per batch of files")

    def ansible(self):
        if not shutil.which("ansible-playbook"):
            self.add("Ansible (per task, ansible-lint)", "", "not installed", "", "")
            return
        n = 20
        d = os.path.join(self.work, "ansible")
        os.makedirs(d, exist_ok=True)
        for count in (1, n):
            with open(os.path.join(d, f"p{count}.yml"), "w") as fh:
                fh.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n"
                         "  tasks:\n")
                for i in range(count):
                    fh.write(f"    - name: t{i}\n      ansible.builtin.command: /bin/true\n")
        a1 = run(["ansible-playbook", "-i", "localhost,", "p1.yml"], cwd=d).seconds
        an = run(["ansible-playbook", "-i", "localhost,", f"p{n}.yml"], cwd=d).seconds
        self.add("Ansible: per-task cost of `command: /bin/true`", "", fmt_s((an - a1) / (n - 1)),
                 "", "")

    # ---------------------------------------------------------------- table

    def table(self):
        out = ["| measure | floor | rbk | rbk / floor | aim |", "| --- | --- | --- | --- | --- |"]
        for m, f, r, ratio, aim in self.rows:
            out.append(f"| {m} | {f} | {r} | {ratio} | {aim} |")
        return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rbk", default=os.path.join(ROOT, "build", "rbk"))
    p.add_argument("--quick", action="store_true", help="smaller sizes; under two minutes")
    p.add_argument("--samples", type=int, help="paired samples per row (default 7; quick 3)")
    p.add_argument("--output-bytes", type=int,
                   help="bytes the output row prints (default 1 GiB; quick 10 MiB)")
    p.add_argument("rows", nargs="*", metavar="ROW", help=", ".join(ROWS))
    args = p.parse_args()
    for row in args.rows:
        if row not in ROWS:
            p.error(f"unknown row '{row}' (rows: {', '.join(ROWS)})")
    if not os.access(args.rbk, os.X_OK):
        sys.exit(f"bench.py: no rbk binary at {args.rbk} (build first, or pass --rbk)")
    b = Bench(args)
    rows = args.rows or ROWS
    started = time.time()
    try:
        for row in rows:
            print(f"== {row}", file=sys.stderr, flush=True)
            if row == "output":
                b.output(args.output_bytes or ((10 << 20) if args.quick else (1 << 30)))
            else:
                getattr(b, row)()
    finally:
        shutil.rmtree(b.work, ignore_errors=True)
    version = subprocess.run([b.rbk, "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print(f"{version} at {b.rbk} (tree {commit}), {os.cpu_count()} cores, {b.samples} paired samples, "
          f"medians; {time.time() - started:.0f} s")
    print(b.table())


if __name__ == "__main__":
    main()
