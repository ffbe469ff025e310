#!/usr/bin/env bash
# Measures what `rbk run` adds around the commands it runs, against the floor
# measured in the same run: the same N commands as N `sh -c` calls from one
# shell loop. The runbook has N remediation steps of `run \`true\``; rbk also
# checks the runbook, writes the record (one event line per step start/end
# and command start/end) and masks every event. Prints figures; asserts
# nothing (not a test).
#   bench/run_bench.sh [RBK_BINARY] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
rbk=$(realpath "${1:-build/rbk}")
n=${2:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{
  echo "runbook bench {"
  echo "  remediate {"
  for ((i = 0; i < n; i++)); do echo "    step s$i \"Step $i\" { run \`true\` }"; done
  echo "  }"
  echo "}"
} > "$work/bench.rbk"

source bench/timing.sh

floor_ms=$(best sh -c "for i in \$(seq $n); do sh -c true; done")
run_ms=$(best sh -c "cd '$work' && '$rbk' run bench.rbk --non-interactive")
plan_ms=$(best sh -c "cd '$work' && '$rbk' plan bench.rbk")
records=$(ls "$work/.rbk/runs" | wc -l)

echo "runbook: $n steps of run \`true\` ($records runs recorded)"
echo "floor (sh -c true x $n):    ${floor_ms} ms  ($((floor_ms * 1000 / n)) us per command)"
echo "rbk run:                    ${run_ms} ms  ($((run_ms * 1000 / n)) us per step)"
if [ "$floor_ms" -gt 0 ]; then
  awk -v a="$run_ms" -v b="$floor_ms" 'BEGIN { printf "ratio rbk run / floor:      %.2fx\n", a / b }'
fi
echo "rbk plan (nothing runs):    ${plan_ms} ms"
