#!/usr/bin/env python3
"""Reruns the attacks of issue 11 against a built rbk and prints the figures.

Not a test (nothing here asserts; tests/ holds the tests that must fail when
a promise breaks): this is the measurement an engineer reruns to say how
often a promise broke. Every figure should be 0.

  bench/attack.py [--rbk build/rbk] [--runs 1000] [--inputs 470] [PART...]

PART is any of: gates mutants hygiene leaks inputs (default: all).

- gates:   every command of the corpus tests/destructive/*.txt through
           `rbk lint` (as a generated remediate step without a gate) and
           `rbk run` without a terminal: a destructive or unanalysable one
           that lint passes or that runs is counted.
- mutants: each `destructive` / `confirm` statement removed from the shipped
           runbooks, examples and stdlib (one at a time): a mutant that lint
           passes with no new gate finding is counted, unless listed as
           harmless in tests/destructive/harmless-gates.txt.
- hygiene: RUNS runs of a command that starts children in its group, in a
           new session and double-forked, ended by its timeout, SIGINT,
           SIGTERM, SIGHUP, SIGQUIT or SIGKILL to rbk: survivors counted.
- leaks:   secrets in -p values, multi-line and padded secrets, a called
           runbook's secret, an env-logging notifier, redaction from another
           directory; the value searched in output, record, fixture, plan.
- inputs:  INPUTS byte-mutated runbooks, fixtures and rbk.yaml files through
           check, lint (json, sarif), fmt, parse --ast, plan, show, list,
           test: a signal, an internal error or an exception text counted.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rbk_cmd(args, rbk, cwd, env=None, stdin=subprocess.DEVNULL, timeout=600):
    """Runs rbk; returns (exit code or -signal, stdout, stderr)."""
    full_env = dict(os.environ, NO_COLOR="1")
    full_env.update(env or {})
    p = subprocess.run([rbk] + args, cwd=cwd, env=full_env, stdin=stdin,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


# --- gates -----------------------------------------------------------------

def corpus_entries():
    """(verdict, command) from tests/destructive/commands.txt: '+' destructive
    (the line names the pattern it must match), '?' unanalysable, '-' safe."""
    out = []
    with open(os.path.join(ROOT, "tests", "destructive", "commands.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or "\t" not in line:
                continue
            head, cmd = line.split("\t", 1)
            verdict = head if head in ("-", "?") else "+"
            out.append((verdict, cmd.replace("\\n", "\n")))
    return out


def gates(a):
    entries = corpus_entries()
    bad = [e for e in entries if e[0] in "+?"]
    work = tempfile.mkdtemp(prefix="rbk-attack-gates-")
    lint_passed = ran = unproven = 0
    try:
        with open(os.path.join(work, "rbk.yaml"), "w") as f:
            f.write("paths: [.]\n")
        for i, (verdict, cmd) in enumerate(bad):
            # The command only ever sees a scratch directory, and `run` is
            # stopped before it when the gate holds; a canary file tells
            # whether the step's command started.
            text = (f"runbook g{i} {{\n  remediate {{\n    step s \"S\" {{\n"
                    f"      run ```\n{cmd}\n```\n    }}\n  }}\n}}\n")
            path = os.path.join(work, f"g{i}.rbk")
            with open(path, "w") as f:
                f.write(text)
            rules = gate_codes(path, work, a.rbk)
            if rules is None:
                unproven += 1
                print(f"  not a valid runbook around: {cmd!r}")
                continue
            if not rules:
                lint_passed += 1
                print(f"  lint passed: {cmd!r}")
        # Running them would run destroyers in a sandbox-less machine: the
        # run gate is asked instead through `rbk plan`, which prints the gate
        # `run` would stop at, without running anything.
        for i, (verdict, cmd) in enumerate(bad):
            code, out, _ = rbk_cmd(["plan", "--format", "json", os.path.join(work, f"g{i}.rbk")],
                                   a.rbk, work)
            try:
                plan = json.loads(out)
            except ValueError:
                plan = None
            if not plan_gated(plan):
                ran += 1
                print(f"  ungated: {cmd!r}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"gates: {len(entries)} corpus commands, {len(bad)} destructive or unanalysable; "
          f"lint passed {lint_passed}, ungated at run {ran}; {unproven} not tried")
    return lint_passed + ran + unproven


def plan_gated(plan):
    """True when the plan's only step has a gate."""
    if not isinstance(plan, dict):
        return False
    text = json.dumps(plan)
    return bool(re.search(r'"gate"\s*:\s*\{', text)) or '"gated": true' in text


# --- mutants ---------------------------------------------------------------

GATE_LINE = re.compile(r"^\s*(destructive|confirm)\b")
STEP_LINE = re.compile(r"^\s*(step|undo)\b")


def shipped_runbooks():
    for d in ("runbooks", "examples", "stdlib", "tests/stdlib"):
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for name in sorted(files):
                if name.endswith(".rbk"):
                    yield os.path.join(base, name)


def gate_codes(path, cwd, rbk):
    """The set of gate findings (RBK101, RBK105) lint reports for `path`, or
    None when it is not a valid runbook (lint reports an error of another
    kind, or its output is not JSON)."""
    _, out, _ = rbk_cmd(["lint", "--no-shellcheck", "--format", "json", path], rbk, cwd)
    try:
        diagnostics = json.loads(out).get("diagnostics", [])
    except (ValueError, AttributeError):
        return None
    gate = [d.get("code") for d in diagnostics if d.get("code") in ("RBK101", "RBK105")]
    if any(d.get("severity") == "error" and not d.get("code") for d in diagnostics):
        return None
    return gate


def gate_findings(path, cwd, rbk):
    codes = gate_codes(path, cwd, rbk)
    return None if codes is None else len(codes)


def harmless():
    """file:line entries of tests/destructive/harmless-gates.txt."""
    p = os.path.join(ROOT, "tests", "destructive", "harmless-gates.txt")
    if not os.path.exists(p):
        return set()
    with open(p) as f:
        return {l.split()[0] for l in f if l.strip() and not l.startswith("#")}


def gated_steps(lines):
    """{step header line index: [indexes of its gate lines]}: a `confirm`
    with a triple-quoted prompt spans to its closing quotes."""
    steps = {}
    header = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if STEP_LINE.match(line):
            header = i
        if GATE_LINE.match(line) and header is not None:
            span = [i]
            if line.count('"""') == 1:
                while i + 1 < len(lines):
                    i += 1
                    span.append(i)
                    if '"""' in lines[i]:
                        break
            steps.setdefault(header, []).extend(span)
        i += 1
    return steps


def mutants(a):
    total = passed = excused = 0
    ok = harmless()
    for path in shipped_runbooks():
        with open(path) as f:
            lines = f.read().split("\n")
        rel = os.path.relpath(path, ROOT)
        base = gate_findings(path, os.path.dirname(path), a.rbk)
        for header, gate_lines in gated_steps(lines).items():
            total += 1
            mutant = path + ".mutant.rbk"
            with open(mutant, "w") as f:
                f.write("\n".join(l for n, l in enumerate(lines) if n not in gate_lines))
            try:
                got = gate_findings(mutant, os.path.dirname(path), a.rbk)
            finally:
                os.remove(mutant)
            if got is not None and base is not None and got > base:
                continue
            if f"{rel}:{header + 1}" in ok or rel in ok:
                excused += 1
                continue
            passed += 1
            print(f"  lint passed {rel}:{header + 1} without its gate: {lines[header].strip()}")
    print(f"mutants: {total} gated steps, each with its gate statements removed; lint passed "
          f"{passed}; harmless by the list {excused}")
    return passed


# --- hygiene ---------------------------------------------------------------

SPAWN = (
    'sleep 3600 & echo $! >> "$PIDS"; '
    'setsid sleep 3600 >/dev/null 2>&1 & echo $! >> "$PIDS"; '
    "setsid -f sh -c 'echo $$ >> \"$PIDS\"; exec sleep 3600' >/dev/null 2>&1; "
    "sh -c 'trap \"\" TERM HUP INT QUIT; echo $$ >> \"$PIDS\"; exec sleep 3600' >/dev/null 2>&1 & "
    'while [ "$(wc -l < "$PIDS")" -lt 4 ]; do sleep 0.01; done; sleep 3600')

MODES = ["timeout", "INT", "TERM", "HUP", "QUIT", "KILL"]


def hygiene(a):
    work = tempfile.mkdtemp(prefix="rbk-attack-hygiene-")
    survivors = runs_with_survivors = unproven = 0
    by_mode = {m: [0, 0] for m in a.modes}
    try:
        with open(os.path.join(work, "rbk.yaml"), "w") as f:
            f.write("paths: [.]\npolicy:\n  grace: 200ms\n")
        for name, timeout in (("slow", "10m"), ("quick", "1s")):
            with open(os.path.join(work, f"{name}.rbk"), "w") as f:
                f.write(f"runbook {name} {{\n  remediate {{\n    step spawn \"Spawn\" {{\n"
                        f"      destructive\n      run `{SPAWN}` timeout {timeout}\n"
                        f"    }}\n  }}\n}}\n")
        for i in range(a.runs):
            mode = a.modes[i % len(a.modes)]
            pids_file = os.path.join(work, f"pids-{i}")
            open(pids_file, "w").close()
            env = dict(os.environ, PIDS=pids_file, NO_COLOR="1")
            book = "quick.rbk" if mode == "timeout" else "slow.rbk"
            p = subprocess.Popen([a.rbk, "run", book, "--approve", "spawn"], cwd=work, env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 600
            while len(read_pids(pids_file)) < 4 and p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            if mode != "timeout" and p.poll() is None:
                p.send_signal(getattr(signal, "SIG" + mode))
            p.wait(timeout=600)
            pids = read_pids(pids_file)
            if len(pids) < 4:  # the command did not start all its children
                unproven += 1
            until = time.monotonic() + 10
            while any(alive(x) for x in pids) and time.monotonic() < until:
                time.sleep(0.01)
            left = [x for x in pids if alive(x)]
            by_mode[mode][0] += 1
            by_mode[mode][1] += len(left)
            if left:
                for x in left:
                    print(f"  run {i} ({mode}): pid {x} left: {describe(x)}")
                survivors += len(left)
                runs_with_survivors += 1
                for x in left:
                    try:
                        os.kill(x, signal.SIGKILL)
                    except OSError:
                        pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    detail = ", ".join(f"{m} {r} runs/{s} left" for m, (r, s) in by_mode.items())
    print(f"hygiene: {a.runs} runs, {survivors} surviving processes in {runs_with_survivors} runs "
          f"({1000 * runs_with_survivors / max(a.runs, 1):.1f} per 1,000 runs); {detail}; "
          f"{unproven} runs did not start all four children")
    return survivors + unproven


def describe(pid):
    """The command line, parent and state of a live process, for a report."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return f"{cmd!r} state {fields[0]} ppid {fields[1]} pgid {fields[2]} sid {fields[3]}"
    except (OSError, IndexError):
        return "(gone)"


def read_pids(path):
    try:
        with open(path) as f:
            return [int(x) for x in f.read().split() if x.isdigit()]
    except OSError:
        return []


# --- leaks -----------------------------------------------------------------

SECRET = "s3cr3t-Attack-9431"


def leak_scenarios():
    """(name, files {rel: text}, args, env) — each must never show SECRET."""
    notify = ("paths: [runbooks]\nroles:\n  primary: {name: P, contact: p}\n"
              "notify:\n  notify: 'env >> \"$RBK_RECORD_DIR/notify.env\"'\n")
    base = "paths: [runbooks]\n"
    show = ("runbook leak {\n  secret tok from env \"ATTACK_TOKEN\"\n  param msg : string = \"x\"\n"
            "  diagnose {\n    step s \"S\" {\n      run `printf '%s\\n' \"$msg\"; "
            "printf '%s\\n' \"$tok\" | head -n 1; printf '[%s]\\n' \"$tok\" | tr -d ' '`\n"
            "    }\n  }\n}\n")
    caller = ("runbook caller {\n  diagnose {\n    step a \"A\" { run `env | grep -c . ; env >> early.env` }\n"
              "    step b \"B\" { call callee }\n  }\n}\n")
    callee = ("runbook callee {\n  secret tok from env \"ATTACK_TOKEN\"\n  diagnose {\n"
              "    step c \"C\" { run `true` }\n  }\n}\n")
    notifier = ("runbook noti {\n  secret tok from env \"ATTACK_TOKEN\"\n  diagnose {\n"
                "    step c \"C\" { run `true` }\n  }\n  escalate { notify primary \"start\" }\n}\n")
    redact = ("paths: [runbooks]\nredact: ['s3cr3t-[A-Za-z]+-[0-9]+']\n")
    plain = ("runbook plain {\n  diagnose {\n    step c \"C\" { run `echo \"value " + SECRET +
             "\"` }\n  }\n}\n")
    out = []
    for mode in ([], ["--json"]):
        tag = " ".join(mode) or "text"
        out.append((f"-p value holds the secret ({tag})", {"rbk.yaml": base, "runbooks/leak.rbk": show},
                    ["run", "leak", "-p", f"msg=before {SECRET} after"] + mode, {"ATTACK_TOKEN": SECRET}))
        out.append((f"multi-line secret ({tag})", {"rbk.yaml": base, "runbooks/leak.rbk": show},
                    ["run", "leak"] + mode, {"ATTACK_TOKEN": f"{SECRET}\nsecond-line-{SECRET}"}))
        out.append((f"padded secret ({tag})", {"rbk.yaml": base, "runbooks/leak.rbk": show},
                    ["run", "leak"] + mode, {"ATTACK_TOKEN": f"  {SECRET}  "}))
        out.append((f"called runbook's secret ({tag})",
                    {"rbk.yaml": base, "runbooks/caller.rbk": caller, "runbooks/callee.rbk": callee},
                    ["run", "caller"] + mode, {"ATTACK_TOKEN": SECRET}))
        out.append((f"env-logging notifier ({tag})", {"rbk.yaml": notify, "runbooks/noti.rbk": notifier},
                    ["run", "noti"] + mode, {"ATTACK_TOKEN": SECRET}))
        out.append((f"redaction from another directory ({tag})",
                    {"rbk.yaml": redact, "runbooks/plain.rbk": plain},
                    ["run", "@/runbooks/plain.rbk"] + mode, {}))
    out.append(("fixture of a run", {"rbk.yaml": base, "runbooks/leak.rbk": show},
                ["run", "leak", "-p", f"msg={SECRET}", "--record-fixture", "@/fx.test.yaml"],
                {"ATTACK_TOKEN": SECRET}))
    out.append(("plan", {"rbk.yaml": base, "runbooks/leak.rbk": show},
                ["plan", "leak", "-p", f"msg=x {SECRET} y"], {"ATTACK_TOKEN": SECRET}))
    out.append(("plan --format json", {"rbk.yaml": base, "runbooks/leak.rbk": show},
                ["plan", "leak", "--format", "json", "-p", f"msg=x {SECRET} y"],
                {"ATTACK_TOKEN": SECRET}))
    return out


def leaks(a):
    found = unproven = 0
    scenarios = leak_scenarios()
    for name, files, args, env in scenarios:
        project = tempfile.mkdtemp(prefix="rbk-attack-leak-")
        elsewhere = tempfile.mkdtemp(prefix="rbk-attack-cwd-")
        try:
            for rel, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(project, rel)), exist_ok=True)
                with open(os.path.join(project, rel), "w") as f:
                    f.write(text)
            argv = [x.replace("@", project) for x in args]
            cwd = elsewhere if "another directory" in name else project
            code, out, err = rbk_cmd(argv, a.rbk, cwd, env=env)
            if code != 0:  # a run that did not get going proves nothing
                unproven += 1
                print(f"  did not run: {name}: exit {code}: {err.strip()[:200]}")
            where = []
            pieces = [SECRET, f"second-line-{SECRET}"]
            if any(p in out for p in pieces):
                where.append("stdout")
            if any(p in err for p in pieces):
                where.append("stderr")
            for d in (project, elsewhere):
                for base, _, names in os.walk(d):
                    for n in names:
                        p = os.path.join(base, n)
                        if p.endswith((".rbk", "rbk.yaml")):
                            continue  # the sources that hold a literal on purpose
                        with open(p, "rb") as f:
                            data = f.read().decode("utf-8", "replace")
                        if any(x in data for x in pieces):
                            where.append(os.path.relpath(p, d))
            if where:
                found += 1
                print(f"  leak: {name}: {', '.join(where)}")
        finally:
            shutil.rmtree(project, ignore_errors=True)
            shutil.rmtree(elsewhere, ignore_errors=True)
    print(f"leaks: {len(scenarios)} runs, {found} with the secret in output or a file"
          f" ({unproven} did not run)")
    return found + unproven


# --- inputs ----------------------------------------------------------------

CRASH = re.compile(r"internal error|terminate called|what\(\)|json\.exception|Assertion|"
                   r"AddressSanitizer|runtime error:|Segmentation|core dumped")


# Nested aliases: ten to the eighth nodes if each alias is followed.
ALIAS_BOMB = ("\n".join(["b0: &b0 [x, x, x, x, x, x, x, x, x, x]"] +
                        [f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]" for i in range(1, 9)])
              + "\n").encode()


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(7)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[at:at] = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x1b[2K",
                                      b"\xf4\x90\x80\x80", b"\r"])
        elif op == 2:
            data = data[:at]
        elif op == 3 and data:
            end = min(len(data), at + rng.randint(1, 40))
            del data[at:end]
        elif op == 4 and data:
            src = rng.randrange(len(data))
            data[at:at] = data[src:src + rng.randint(1, 200)]
        elif op == 5:
            data[at:at] = rng.choice([b"{", b"}", b"`", b'"', b"'", b"\n", b"${", b"#",
                                      b": ", b"- ", b"&a", b"*a", b"!!binary", b"99999999999999999999",
                                      b"x: &a [*a]\n", ALIAS_BOMB])
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(data)


def inputs(a):
    rng = random.Random(11)
    seeds = {"rbk": [], "yaml": [], "fixture": []}
    for path in shipped_runbooks():
        with open(path, "rb") as f:
            seeds["rbk"].append(f.read())
    for d in ("runbooks", "examples"):
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            p = os.path.join(ROOT, d, name)
            if name.endswith(".test.yaml"):
                with open(p, "rb") as f:
                    seeds["fixture"].append((f.read(), name[:-len(".test.yaml")] + ".rbk", d))
    for p in (os.path.join(ROOT, "rbk.yaml"), os.path.join(ROOT, "examples", "rbk.yaml")):
        if os.path.exists(p):
            with open(p, "rb") as f:
                seeds["yaml"].append(f.read())
    crashes = invocations = 0
    kinds = ["rbk"] * 6 + ["fixture"] * 2 + ["yaml"] * 2
    for i in range(a.inputs):
        kind = kinds[i % len(kinds)]
        work = tempfile.mkdtemp(prefix="rbk-attack-input-")
        try:
            os.makedirs(os.path.join(work, "runbooks"))
            config = b"paths: [runbooks]\n"
            if kind == "yaml":
                config = mutate(rng, rng.choice(seeds["yaml"]))
            with open(os.path.join(work, "rbk.yaml"), "wb") as f:
                f.write(config)
            if kind == "fixture":
                data, book, d = rng.choice(seeds["fixture"])
                shutil.copy(os.path.join(ROOT, d, book), os.path.join(work, "runbooks", "x.rbk"))
                with open(os.path.join(work, "runbooks", "x.test.yaml"), "wb") as f:
                    f.write(mutate(rng, data))
            else:
                text = rng.choice(seeds["rbk"])
                if kind == "rbk":
                    text = mutate(rng, text)
                with open(os.path.join(work, "runbooks", "x.rbk"), "wb") as f:
                    f.write(text)
            target = "runbooks/x.rbk"
            commands = [["check", target], ["check", "--format", "json", target],
                        ["lint", "--no-shellcheck", "--format", "json", target],
                        ["lint", "--no-shellcheck", "--format", "sarif", target],
                        ["fmt", "--check", target], ["parse", "--ast", target],
                        ["plan", target], ["plan", "--format", "json", target],
                        ["show", "--format", "json", target], ["list", "--format", "json"]]
            if kind == "fixture":
                commands = [["test", "runbooks/x.test.yaml"], ["test", "runbooks/"]]
            for argv in commands:
                invocations += 1
                try:
                    code, out, err = rbk_cmd(argv, a.rbk, work, timeout=120)
                except subprocess.TimeoutExpired:
                    code, out, err = -1, "", "hung for 120 s (internal error: a hang)"
                if code < 0 or code >= 126 or CRASH.search(err):
                    crashes += 1
                    keep = os.path.join(tempfile.gettempdir(), f"rbk-attack-crash-{i}")
                    shutil.copytree(work, keep, dirs_exist_ok=True)
                    print(f"  crash: rbk {' '.join(argv)} exit {code} (input kept in {keep}): "
                          f"{err.strip()[:200]}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"inputs: {a.inputs} mutated files, {invocations} rbk invocations, {crashes} crashes")
    return crashes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rbk", default=os.path.join(ROOT, "build", "rbk"))
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--inputs", type=int, default=470)
    parser.add_argument("--modes", default=",".join(MODES),
                        help="how hygiene runs end (default: all of " + ",".join(MODES) + ")")
    parser.add_argument("parts", nargs="*", default=["gates", "mutants", "hygiene", "leaks", "inputs"])
    a = parser.parse_args()
    a.rbk = os.path.abspath(a.rbk)
    a.modes = a.modes.split(",")
    if not set(a.modes) <= set(MODES):
        parser.error(f"--modes: choose from {','.join(MODES)}")
    parts = {"gates": gates, "mutants": mutants, "hygiene": hygiene, "leaks": leaks, "inputs": inputs}
    total = 0
    for name in a.parts:
        if name not in parts:
            parser.error(f"unknown part {name!r}; choose from {', '.join(parts)}")
        start = time.monotonic()
        total += parts[name](a)
        print(f"  ({name}: {time.monotonic() - start:.0f} s)")
    print(f"total broken promises: {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
