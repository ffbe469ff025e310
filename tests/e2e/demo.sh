#!/usr/bin/env bash
# The README's first command as a test: scripts/demo.sh must exit 0 (rbk's
# own status), Redis must answer PONG after the run, and the run must end
# resolved. Each check on its own, so a crash after Redis is restored fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(bash "$root/scripts/demo.sh" 2>&1)"
status=$?
printf '%s\n' "$out"
fail() { echo "demo test: $*" >&2; exit 1; }
# Under ctest, a copy of the run's record for the schema check (tests/validate_records.py).
record="$(sed -n 's/^== the run.s record: \(.*\) (events.jsonl, output\/)$/\1/p' <<<"$out")"
if [ -n "${RBK_TEST_RECORDS:-}" ] && [ -f "$record/events.jsonl" ]; then
  mkdir -p "$RBK_TEST_RECORDS"
  { echo "# the demo"; cat "$record/events.jsonl"; } >"$RBK_TEST_RECORDS/demo-$$.jsonl"
fi
[ "$status" -eq 0 ] || fail "scripts/demo.sh exited $status"
grep -q '^== Redis now says: PONG$' <<<"$out" || fail "Redis does not answer PONG after the run"
grep -Eq 'outcome +resolved' <<<"$out" || fail "the run did not end resolved"
[ -f "$record/events.jsonl" ] || fail "no record at '$record'"
echo "demo test: OK"
