#!/usr/bin/env bash
# End to end: a real `rbk serve` (its webhook posted to with curl, as
# Alertmanager would) starting real runs on 127.0.0.1 in a throwaway
# directory, for what the unit tests check with a fake launcher:
# - an alert sent twice starts one run; the re-send joins it (recorded);
# - automatic approval inside the route's limit (per_runbook, 1 an hour):
#   the first alert's step runs, the second's run waits for a person, with
#   a warning in its record, and its gated command does not run;
# - the circuit breaker: an automatically approved run that fails opens the
#   route's breaker and pages the runbook's owner once; the next alert's run
#   waits for a person and its gated command does not run; /metrics says so;
# - the server's own notify command gets none of the variables the routed
#   runbooks, and the runbooks they call, read secrets from (the server's
#   environment holds them).
# Every wait is polled with a hang guard that names what hung.
set -euo pipefail
rbk="${RBK:?set RBK to the rbk binary}"
e2e=serve-limits
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
need curl python3

work="$(mktemp -d "${TMPDIR:-/tmp}/rbk-e2e-limits-XXXXXX")"
serve_pid=""
stop_all() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$work"
}
trap stop_all EXIT

mkdir -p "$work/runbooks"
cat >"$work/runbooks/touch-once.rbk" <<'RBK'
runbook touch-once {
  title "Touch a marker for the alert"
  owner oncall
  param name : string
  secret token from env "E2E_SERVE_SECRET"
  remediate {
    step act "Act" {
      destructive
      confirm "Touch the marker of ${name}?"
      run `printf '%s\n' "$name" >> acted.txt`
    }
  }
  rollback {
    step hand_back "Hand back" { call touch-helper }
  }
}
RBK
cat >"$work/runbooks/touch-helper.rbk" <<'RBK'
runbook touch-helper {
  title "Called by touch-once on rollback (never here): its secret counts too"
  owner oncall
  secret helper_token from env "E2E_SERVE_HELPER_SECRET"
  diagnose {
    step look "Look" { run `true` }
  }
}
RBK
cat >"$work/runbooks/flaky.rbk" <<'RBK'
runbook flaky {
  title "A remediation that fails"
  owner oncall
  remediate {
    step act "Act" {
      destructive
      confirm "Act?"
      run `echo acted >> flaky.txt; exit 1`
    }
  }
}
RBK
cat >"$work/rbk.yaml" <<'YAML'
paths: [runbooks]
records: .rbk/runs
notify:
  page: 'printf "page %s: %s\n" "$RBK_ROLE" "$RBK_MESSAGE" >> paged.txt'
  notify: 'printf "notify %s: %s\n" "$RBK_ROLE" "$RBK_MESSAGE" >> notified.txt; env >> notifier-env.txt'
routes:
  - name: limited
    match: ['alertname="Limited"']
    runbook: touch-once
    params:
      name: {label: name}
    auto_approve: [act]
    limits:
      per_runbook: {max: 1, per: 1h}
  - name: flaky
    match: ['alertname="Flaky"']
    runbook: flaky
    auto_approve: [act]
    limits:
      concurrent: 5
      breaker: {failures: 1, per: 1h}
YAML
records="$work/.rbk/runs"

port="$(free_port)"
serve="http://127.0.0.1:$port"
(cd "$work" && E2E_SERVE_SECRET=e2e-secret-value E2E_SERVE_HELPER_SECRET=e2e-helper-value \
  exec "$rbk" serve --listen "127.0.0.1:$port") 2>>"$work/serve.log" &
serve_pid=$!
wait_for "rbk serve to answer /healthz" curl -sf --max-time 2 "$serve/healthz"

# notification ALERTNAME NAME FINGERPRINT: Alertmanager's webhook payload.
notification() {
  python3 -c 'import json,sys; print(json.dumps({"version":"4","status":"firing","receiver":"rbk",
    "groupKey":"{}","truncatedAlerts":0,"groupLabels":{},"commonLabels":{},"commonAnnotations":{},
    "externalURL":"http://am","alerts":[{"status":"firing","labels":{"alertname":sys.argv[1],"name":sys.argv[2]},
    "annotations":{},"startsAt":"2026-12-06T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
    "generatorURL":"","fingerprint":sys.argv[3]}]}))' "$1" "$2" "$3"
}
post() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
    "$serve/alertmanager" -d "$(notification "$@")")" = 200 ] || fail "the $1 alert is not answered 200"
}
runs_json() { curl -sf --max-time 5 "$serve/runs"; }
# new_run WHAT: waits for a run directory that was not there when `mark`
# was called, and prints its id.
mark() { ls "$records" 2>/dev/null >"$work/runs.before" || true; }
fresh() { ls "$records" 2>/dev/null | grep -vxF -f "$work/runs.before" | head -n 1; }
new_run() { wait_for "$1" sh -c "[ -n \"\$(ls '$records' 2>/dev/null | grep -vxF -f '$work/runs.before')\" ]"; fresh; }
count_runs() { runs_json | python3 -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r["runbook"]==sys.argv[1]]))' "$1"; }
state_of() { runs_json | python3 -c 'import json,sys; print([r["state"] for r in json.load(sys.stdin) if r["run_id"]==sys.argv[1]][0])' "$1"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
metric() { curl -sf --max-time 5 "$serve/metrics" | grep -F "$1"; }

# ---- Twice the same alert: one run, the re-send joins it.
mark
post Limited first aaaaaaaaaaaaaaa1
first="$(new_run "the first Limited run to start")"
post Limited first aaaaaaaaaaaaaaa1
wait_for "the re-send to be recorded in the first run" \
  grep -q '"type":"alert_update"' "$records/$first/events.jsonl"
[ "$(count_runs touch-once)" = 1 ] || fail "the re-sent alert started a second run"
wait_for "the first run to end" is_state "$first" over
# Inside the limit: approved by rbk serve, the step ran once.
[ "$(cat "$work/acted.txt")" = first ] || fail "the first alert's step did not run once: $(cat "$work/acted.txt" 2>&1)"
grep -q '"type":"answer".*"passed":true.*"via":"auto"' "$records/$first/events.jsonl" ||
  fail "the first run's record has no automatic approval"

# ---- A second alert of the route: past per_runbook (1 an hour), it waits.
mark
post Limited second aaaaaaaaaaaaaaa2
second="$(new_run "the second Limited run to start")"
[ "$second" != "$first" ] || fail "the second alert joined the first run"
wait_for "the second run to wait for a person" is_state "$second" parked
wait_for "the limit to be recorded in the second run" \
  grep -q '"type":"warning".*limit per_runbook reached (1 of 1)' "$records/$second/events.jsonl"
[ "$(cat "$work/acted.txt")" = first ] || fail "the second alert's step ran past the limit"
metric 'rbk_serve_gates_total{decision="limits_hit"} 1' >/dev/null || fail "/metrics does not count the limit hit"
wait_for "the owner to be told the second run waits" grep -q "^notify oncall: run $second" "$work/notified.txt"
grep -q '^RBK_ROLE=oncall$' "$work/notifier-env.txt" || fail "the notify command's environment was not captured"
if grep -qE 'e2e-secret-value|e2e-helper-value' "$work/notifier-env.txt"; then
  fail "the server's notify command got a secret's source variable"
fi

# ---- The breaker: the first Flaky run is approved, fails, opens it.
mark
post Flaky x bbbbbbbbbbbbbbb1
flaky1="$(new_run "the first Flaky run to start")"
wait_for "the first Flaky run to end" is_state "$flaky1" over
[ "$(wc -l <"$work/flaky.txt")" -eq 1 ] || fail "the first Flaky run's step did not run once"
wait_for "the owner to be paged" grep -q "^page oncall: the circuit breaker of route flaky" "$work/paged.txt"
metric 'rbk_serve_breaker_open{route="flaky"} 1' >/dev/null || fail "/metrics does not show the breaker open"
# The next alert's run waits for a person; its command does not run.
mark
post Flaky y bbbbbbbbbbbbbbb2
flaky2="$(new_run "the second Flaky run to start")"
wait_for "the second Flaky run to wait for a person" is_state "$flaky2" parked
grep -q '"type":"warning".*limit breaker reached' "$records/$flaky2/events.jsonl" ||
  fail "the breaker is not recorded in the second Flaky run"
[ "$(wc -l <"$work/flaky.txt")" -eq 1 ] || fail "the second Flaky run's step ran with the breaker open"
[ "$(grep -c '^page oncall' "$work/paged.txt")" -eq 1 ] || fail "the owner was paged more than once"

# Under ctest, copies for the record schema check (tests/validate_records.py).
if [ -n "${RBK_TEST_RECORDS:-}" ]; then
  mkdir -p "$RBK_TEST_RECORDS"
  for r in "$records"/*/; do
    { echo "# e2e serve-limits"; cat "$r/events.jsonl"; } >"$RBK_TEST_RECORDS/e2e-limits-$(basename "$r").jsonl"
  done
fi
echo "E2E OK: one run per alert, per_runbook limit and breaker held by a real rbk serve"
