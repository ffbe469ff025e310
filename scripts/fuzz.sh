#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/, docs/fuzzing.md) for a while.
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]       a person's run (default 600 s)
#   scripts/fuzz.sh --ci SECONDS [TARGET…]    scripts/test.sh's short run
#
# --build DIR uses a build directory already configured with RBK_FUZZ (as
# scripts/test.sh's sanitizer build is) instead of configuring build-fuzz/.
#
# TARGET is runbook, fixture or config (default: all three), run side by side,
# as many at a time as there are cores (in CI: all at once). Each starts from the seed corpus (the
# project's runbooks, fixtures and rbk.yaml files) and the regression inputs
# in fuzz/regressions/TARGET/.
#
# A person's run keeps what it learns in fuzz/corpus/TARGET/ (gitignored) for
# the next run, and copies each crash input to fuzz/crashes/TARGET/ (also
# gitignored) with a note: the report and the command that reproduces it.
# Once fixed, the input goes to fuzz/regressions/TARGET/, where ctest replays it.
#
# --ci starts from the seeds only and, on a crash, prints the report and the
# input (base64, so it can be copied out of a CI log), then fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

ci=0
build=build-fuzz
configure=1
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) ci=1; shift ;;
    --build) build="${2:?--build needs a directory}"; configure=0; shift 2 ;;
    *) break ;;
  esac
done
seconds="${1:-600}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [--ci] SECONDS [runbook|fixture|config]…" >&2
  exit 2
fi
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(runbook fixture config); fi
for t in "${targets[@]}"; do
  case "$t" in
    runbook | fixture | config) ;;
    *) echo "fuzz.sh: unknown target '$t' (runbook, fixture or config)" >&2; exit 2 ;;
  esac
done

# clang-16 and libclang-rt-16-dev (libclang_rt.fuzzer) come from Debian 12.
# Not clang-14: it cannot compile C++20 that g++ 12 accepts (a lambda
# capturing a structured binding, in interpreter/runtime/process_runner.cpp).
bash scripts/install-deps.sh clang-16 libclang-rt-16-dev llvm-16

if [ $configure -eq 1 ]; then
  echo "== build the fuzz targets (clang, libFuzzer, ASan + UBSan) in $build/"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_COMPILER=clang++-16 -DRBK_FUZZ=ON >/dev/null
elif ! grep -q '^RBK_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "fuzz.sh: $build/ is not a build configured with -DRBK_FUZZ=ON" >&2
  exit 2
fi
cmake --build "$build" --target fuzz_targets -j "$(nproc 2>/dev/null || echo 2)"

# The seeds: every input of its kind the project has, flat in one directory
# per target (file names keep their path, so two README.md never collide).
seed() {
  local target=$1 dir="$build/seeds/$1"
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  find examples runbooks stdlib tests "$@" -type f -print0 | while IFS= read -r -d '' f; do
    cp "$f" "$dir/${f//\//_}"
  done
}
seed runbook -name '*.rbk'
seed fixture \( -name '*.test.yaml' -o -name '*.test.yml' \)
seed config \( -name 'rbk.yaml' -o -path 'tests/config/*.yaml' \)
cp rbk.yaml "$build/seeds/config/top_rbk.yaml"

# libFuzzer's defaults, but never kill a slow input as a hang before a
# minute, and print the statistics the summary reads.
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1"
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-16/bin/llvm-symbolizer
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
stamp=$(date +%Y%m%d-%H%M%S)
# A person's run: as many targets at a time as cores. CI: all at once, so
# the step costs SECONDS of wall time, not SECONDS per pair of targets.
at_once=$(nproc 2>/dev/null || echo 2)
if [ $ci -eq 1 ]; then at_once=${#targets[@]}; fi
for t in "${targets[@]}"; do
  if [ $ci -eq 1 ]; then corpus="$build/corpus-ci/$t"; rm -rf "$corpus"; else corpus="fuzz/corpus/$t"; fi
  rm -rf "$build/artifacts/$t" "$build/logs/$t.status"
  mkdir -p "$corpus" "$build/artifacts/$t" "$build/logs"
  while [ "$(jobs -rp | wc -l)" -ge "$at_once" ]; do wait -n || true; done
  echo "== fuzz_$t for ${seconds}s (log: $build/logs/$t.log)"
  (
    status=0
    # A guard for a hang: on running out of memory libFuzzer first prints a
    # heap profile, which on a heap of millions of blocks can spin for hours
    # (it did, and CI ran out of time). Stopped after the budget plus 5 min.
    timeout -k 30 $((seconds + 300)) "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
      "$corpus" "$build/seeds/$t" "fuzz/regressions/$t" >"$build/logs/$t.log" 2>&1 || status=$?
    echo "$status" >"$build/logs/$t.status"
  ) &
done
wait

failed=0
for t in "${targets[@]}"; do
  log="$build/logs/$t.log"
  status=$(cat "$build/logs/$t.status" 2>/dev/null || echo "none")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  echo "fuzz_$t: ${runs:-?} inputs, ${rate:-?}/s, $cov, exit $status"
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "!! fuzz_$t did not stop $((seconds + 300))s after its ${seconds}s budget and was killed"
  fi
  shopt -s nullglob
  crashes=("$build/artifacts/$t"/*)
  shopt -u nullglob
  if [ "$status" = 0 ] && [ ${#crashes[@]} -eq 0 ]; then continue; fi
  failed=1
  echo "!! fuzz_$t found a problem; the end of its log:"
  tail -n 80 "$log"
  for c in "${crashes[@]}"; do
    if [ $ci -eq 1 ]; then
      echo "-- the input ($(stat -c %s "$c") bytes), base64:"
      base64 -w 100 "$c" | head -c 20000
      echo
      echo "-- to reproduce: base64 -d > input <<'EOF' … EOF, then build/fuzz/fuzz_${t}_replay input"
      echo "   (a fixed crash's input goes to fuzz/regressions/$t/, where ctest replays it)"
    else
      mkdir -p "fuzz/crashes/$t"
      name="$stamp-$(basename "$c")"
      cp "$c" "fuzz/crashes/$t/$name"
      {
        echo "fuzz_$t, $(date -Iseconds), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
        echo "reproduce: build/fuzz/fuzz_${t}_replay fuzz/crashes/$t/$name"
        echo "       or: $build/fuzz/fuzz_$t fuzz/crashes/$t/$name"
        echo "once fixed: move it to fuzz/regressions/$t/ with a name that says what it was"
        echo
        tail -n 80 "$log"
      } >"fuzz/crashes/$t/$name.note"
      echo "-- copied to fuzz/crashes/$t/$name (note: $name.note)"
    fi
  done
done
exit $failed
