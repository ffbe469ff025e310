#!/usr/bin/env bash
# Measures `rbk check` over a generated corpus of runbooks and compares it
# with the floor measured in the same run: `sh -c 'cat FILES >/dev/null'`
# reading the same bytes. Prints figures; asserts nothing (not a test).
#   bench/check_bench.sh [RBK_BINARY] [FILES]
set -euo pipefail
cd "$(dirname "$0")/.."
rbk=${1:-build/rbk}
n=${2:-2000}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT

# The corpus: copies of the shipped runbooks and examples, renamed so every
# file is a distinct runbook.
mapfile -t seeds < <(ls runbooks/*.rbk examples/*.rbk 2>/dev/null)
for ((i = 0; i < n; i++)); do
  seed=${seeds[$((i % ${#seeds[@]}))]}
  sed -E "s/^runbook ([a-z0-9-]+)/runbook \1-$i/" "$seed" > "$corpus/r$i.rbk"
done
cp -r stdlib "$corpus/" 2>/dev/null || true
bytes=$(cat "$corpus"/*.rbk | wc -c)

now() { date +%s%N; }
best() {  # best of 5 runs, in milliseconds
  local best_ns=0
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
    local d=$((t1 - t0))
    if [ "$best_ns" -eq 0 ] || [ "$d" -lt "$best_ns" ]; then best_ns=$d; fi
  done
  echo $((best_ns / 1000000))
}

floor_ms=$(best sh -c "cat $corpus/*.rbk > /dev/null")
check_ms=$(best "$rbk" check "$corpus")
one_ms=$(best "$rbk" check runbooks/db-down.rbk)
sh_ms=$(best sh -c true)

echo "corpus: $n files, $((bytes / 1024)) KiB"
echo "rbk check corpus:      ${check_ms} ms  ($(( n * 1000 / (check_ms > 0 ? check_ms : 1) )) files/s)"
echo "floor (cat corpus):    ${floor_ms} ms  ratio $(awk "BEGIN{printf \"%.1f\", $check_ms/($floor_ms>0?$floor_ms:1)}")x"
echo "rbk check one file:    ${one_ms} ms"
echo "floor (sh -c true):    ${sh_ms} ms  ratio $(awk "BEGIN{printf \"%.1f\", $one_ms/($sh_ms>0?$sh_ms:1)}")x"
