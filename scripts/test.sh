#!/usr/bin/env bash
# Builds rbk and runs every test, twice: a normal gcc build with warnings as
# errors, then a clang AddressSanitizer + UndefinedBehaviorSanitizer build
# (build-asan/) where any sanitizer report fails the run; then the tests that
# start threads under ThreadSanitizer (build-tsan/); then, from the ASan
# build, each fuzz target for 30 seconds (docs/fuzzing.md). Installs missing
# Debian packages first. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server, nginx, postgresql, openssh-server: the demo (the README's first
# command) and the end-to-end and SSH tests run real servers; python3-jsonschema
# validates SARIF, run records and, with python3-yaml reading the YAML, the
# rbk.yaml and fixture files against their schemas; clang-16,
# libclang-rt-16-dev (libFuzzer) and llvm-16 (llvm-symbolizer): fuzzing;
# nodejs and npm: the editor grammar's test tokenizes with VS Code's own
# tokenizer, installed from npm; zsh and fish: the completion tests run
# them; dpkg-dev: CPack computes the .deb's dependencies with dpkg-shlibdeps;
# prometheus-alertmanager and curl: rbk serve's end-to-end test; strace: the
# write-ahead test watches fsync and execve in order.
bash scripts/install-deps.sh redis-server nginx postgresql openssh-server python3-jsonschema \
  python3-yaml clang-16 libclang-rt-16-dev llvm-16 nodejs npm zsh fish dpkg-dev \
  prometheus-alertmanager curl strace

jobs=$(nproc 2>/dev/null || echo 2)
# Tests spend much of their time waiting on the processes they start (rbk on
# a pseudo-terminal, grace periods, servers): one more than the cores keeps
# the cores busy.
test_jobs=$((jobs + 1))

echo "== build (warnings are errors)"
# As scripts/demo.sh builds it: line tables only (-g1; stack traces and perf
# keep file, line and function, and the build is a quarter faster than with
# full debug information), and a unity build (files compiled in batches,
# half the time again; the test files are compiled one by one).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DRBK_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

# ThreadSanitizer: rbk built with -fsanitize=thread runs under the tests that
# start its threads (escalation timers and the notifier on the real clock, the
# live ticker, the note watch, the lint and test worker pools; tagged
# [threads], run from the gcc build's test binary against this rbk; the
# language server's session, tests/lsp_client.py), and lints
# and tests the project's own files. A report fails the run. It is compiled
# from here on, sharing the cores with the gcc tests, the checks, the ASan
# build and the tests under sanitizers: started only with the sanitizer
# tests, it ran 116 s alone after them in CI (1,233 s in all; from here,
# 997 to 1,143 s).
echo "== build rbk with clang and ThreadSanitizer (in the background, until the sanitizer tests end)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-16 \
  -DCMAKE_UNITY_BUILD=ON -DRBK_WERROR=ON -DRBK_TSAN=ON >/dev/null
# In a session of its own, so that ending it ends its compilers too.
setsid -w cmake --build build-tsan -j "$jobs" --target rbk >build-tsan/build.log 2>&1 &
tsan_build=$!
# A failing step below ends the script: the build must not outlive it.
trap 'kill -- -"$tsan_build" 2>/dev/null || kill "$tsan_build" 2>/dev/null || true' EXIT

echo "== tests"
ctest --test-dir build --output-on-failure -j "$test_jobs"

echo "== rbk check on the project's own runbooks"
./build/rbk check examples/ runbooks/ stdlib/

echo "== rbk lint and rbk fmt --check on the project's own runbooks"
# No findings at all: examples/ is linted under its own rbk.yaml (one-feature
# files need no owner or full set of sections); examples/ is laid out by hand.
./build/rbk lint --max-warnings 0 runbooks/ stdlib/ examples/ tests/stdlib/
./build/rbk fmt --check runbooks/ stdlib/ tests/stdlib/

echo "== rbk test: every fixture of the project's runbooks, examples and stdlib demos"
# The whole report only when a case fails; otherwise its last line.
if ! report=$(./build/rbk test runbooks/ examples/ tests/stdlib/); then echo "$report"; exit 1; fi
echo "$report" | tail -n 1

echo "== editors: the TextMate grammar on every shipped runbook"
# tests/editors/constructs.rbk, the grammar test's own runbook of corner
# cases, must stay a valid runbook like the shipped ones.
./build/rbk check tests/editors/
bash tests/editors/run.sh

echo "== the .deb: built, extracted into a throwaway root, run on the runbooks it ships"
bash scripts/package-test.sh build

# One clang build serves the sanitizers and the fuzzer: every test runs under
# ASan + UBSan, and the same objects link the libFuzzer targets, so the code
# is compiled twice (gcc, clang), not three times; -Werror holds for both.
echo "== build with clang, AddressSanitizer + UndefinedBehaviorSanitizer and the fuzz targets"
# Unity builds, as the gcc build above.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-16 \
  -DCMAKE_UNITY_BUILD=ON -DRBK_WERROR=ON -DRBK_FUZZ=ON >/dev/null
cmake --build build-asan -j "$jobs"

echo "== tests under sanitizers"
# halt_on_error / abort_on_error: a report kills the process, so the test fails.
export ASAN_OPTIONS="abort_on_error=1:halt_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
# One more job than above: an instrumented rbk spends longer starting and
# waiting on what it starts (pseudo-terminals, child processes, servers), so
# the cores idle at -j3 while the ThreadSanitizer build is the only other work.
ctest --test-dir build-asan --output-on-failure -j "$((test_jobs + 1))"

if ! wait "$tsan_build"; then
  cat build-tsan/build.log
  echo "the ThreadSanitizer build failed"
  exit 1
fi
trap - EXIT
tail -n 1 build-tsan/build.log

echo "== the tests that start threads, against rbk under ThreadSanitizer"
export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1"
RBK_TEST_BINARY="$PWD/build-tsan/rbk" ./build/tests/rbk_tests "[threads]"
./build-tsan/rbk lint --max-warnings 0 runbooks/ stdlib/ examples/ tests/stdlib/ >/dev/null
./build-tsan/rbk test runbooks/ examples/ tests/stdlib/ >/dev/null
# rbk lsp: the reading thread and the diagnostics worker, a whole session.
python3 tests/lsp_client.py build-tsan/rbk
unset TSAN_OPTIONS

echo "== fuzzing: each target for 30 s (a crash fails the run and prints its input)"
bash scripts/fuzz.sh --ci --build build-asan 30
