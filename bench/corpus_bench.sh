#!/usr/bin/env bash
# Measures an rbk command over a generated corpus of runbooks and compares it
# with the floor measured in the same run: `sh -c 'cat FILES >/dev/null'`
# reading the same bytes. Prints figures; asserts nothing (not a test).
#   bench/corpus_bench.sh [RBK_BINARY] [FILES] [COMMAND…]
# COMMAND defaults to `check`; e.g. `lint --no-shellcheck`.
set -euo pipefail
cd "$(dirname "$0")/.."
rbk=${1:-build/rbk}
n=${2:-2000}
shift $(( $# < 2 ? $# : 2 ))
cmd=("$@")
[ ${#cmd[@]} -gt 0 ] || cmd=(check)
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

source bench/timing.sh

floor_ms=$(best sh -c "cat $corpus/*.rbk > /dev/null")
check_ms=$(best "$rbk" "${cmd[@]}" "$corpus")
one_ms=$(best "$rbk" "${cmd[@]}" runbooks/db-down.rbk)
sh_ms=$(best sh -c true)

echo "corpus: $n files, $((bytes / 1024)) KiB"
echo "rbk ${cmd[*]} corpus:      ${check_ms} ms  ($(( n * 1000 / (check_ms > 0 ? check_ms : 1) )) files/s)"
echo "floor (cat corpus):    ${floor_ms} ms  ratio $(awk "BEGIN{printf \"%.1f\", $check_ms/($floor_ms>0?$floor_ms:1)}")x"
echo "rbk ${cmd[*]} one file:    ${one_ms} ms"
echo "floor (sh -c true):    ${sh_ms} ms  ratio $(awk "BEGIN{printf \"%.1f\", $one_ms/($sh_ms>0?$sh_ms:1)}")x"
