#!/bin/bash
# Makes the four records of tests/report/ again, as its README says, with the
# rbk given (default: build/rbk); then RBK_UPDATE_GOLDEN=1 rewrites the
# reports. Run from anywhere; it works in a temporary directory.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RBK=$(realpath "${1:-$SRC/build/rbk}")
W=$(mktemp -d)
cd "$W"
cp $SRC/tests/report/cache.rbk .
printf 'redact:\n  - "tok_[a-z0-9]+"\n' > rbk.yaml
export CACHE_TOKEN=s3cr3t-value-42
newest() { ls -t .rbk/runs | head -1; }
# Copies run $2's record to tests/report/$1/record, without its lock file.
save() { rm -rf "$SRC/tests/report/$1/record"; mkdir -p "$SRC/tests/report/$1"; cp -r ".rbk/runs/$2" "$SRC/tests/report/$1/record"; rm -f "$SRC/tests/report/$1/record/lock" "$SRC/tests/report/$1/record/.lock"; }
MODE=ok $RBK run cache.rbk --non-interactive --approve set_policy --approve flush_stale >/dev/null; id=$(newest)
$RBK note $id "Cache owners agree: eviction stays on. key tok_zz9 rotated" >/dev/null
save resolved $id
sleep 1
MODE=fail $RBK run cache.rbk --non-interactive --approve set_policy --approve flush_stale --approve set_policy.undo >/dev/null || true; save rolled-back $(newest)
sleep 1
MODE=ok $RBK run cache.rbk --non-interactive >/dev/null || true; save refused $(newest)
sleep 1
MODE=hang $RBK run cache.rbk --non-interactive --approve set_policy --approve flush_stale >/dev/null &
pid=$!
id=""
# Killed once flush_stale's command runs (it waits for a file that never comes).
for _ in $(seq 1 600); do
  id=$(newest 2>/dev/null || true)
  [ -n "$id" ] && grep -q '"command_start".*flush_stale' ".rbk/runs/$id/events.jsonl" 2>/dev/null && break
  sleep 0.1
done
kill -9 $pid
wait $pid || true
MODE=ok $RBK resume --non-interactive --assume-done flush_stale >/dev/null
save resumed $id
rm -rf "$W"
echo "records made again; now: RBK_UPDATE_GOLDEN=1 build/tests/rbk_tests '[report]'"
