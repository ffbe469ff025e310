#!/usr/bin/env bash
# End to end: `rbk serve` behind a real Alertmanager (Debian's
# prometheus-alertmanager) against a real Redis the test killed, all on
# 127.0.0.1 with free ports and a throwaway directory. An alert posted to
# Alertmanager's API starts a run of runbooks/redis-down.rbk: diagnosis runs,
# the run parks at the start gate (Redis stays down), rbk serve is restarted
# and finds the parked run in its record, `rbk approve` passes the gate,
# verification sees PONG, the alert resolves and the record holds all of it.
# Then bad requests (malformed JSON, a 10 MB body, no token, an unknown
# route, a label carrying a shell payload) change nothing and run nothing.
# Every wait is polled with a hang guard that names what hung.
set -euo pipefail
rbk="${RBK:?set RBK to the rbk binary}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
e2e=serve
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
need prometheus-alertmanager redis-server redis-cli curl python3

work="$(mktemp -d "${TMPDIR:-/tmp}/rbk-e2e-serve-XXXXXX")"
serve_pid="" am_pid=""
stop_all() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "$am_pid" ] && kill "$am_pid" 2>/dev/null && wait "$am_pid" 2>/dev/null
  if [ -f "$work/redis.pid" ]; then
    local pid
    pid="$(cat "$work/redis.pid" 2>/dev/null)" || pid=""
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      # Redis removes its pid file and writes its log as it stops: the
      # directory goes once it is gone, not while it still writes there.
      wait_for "Redis (pid $pid) to exit" sh -c "! kill -0 $pid"
    fi
  fi
  rm -rf "$work"
}
trap stop_all EXIT

# ---- Redis, started and killed: the incident.
redis_port="$(free_port)"
cat >"$work/redis.conf" <<CONF
bind 127.0.0.1
dir $work
pidfile $work/redis.pid
logfile $work/redis.log
save ""
CONF
ping() { redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null; }
redis-server "$work/redis.conf" --port "$redis_port" --daemonize yes >/dev/null
wait_for "Redis to answer PONG" sh -c "[ \"\$(redis-cli -h 127.0.0.1 -p $redis_port ping)\" = PONG ]"
kill "$(cat "$work/redis.pid")"
wait_for "Redis to stop" sh -c "! redis-cli -h 127.0.0.1 -p $redis_port ping"
rm -f "$work/redis.pid"

# ---- The project: the shipped runbook and a route to it.
token="e2e-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$token" >"$work/token"
printf 'e2e-approvers-%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$work/approvers"
chmod 600 "$work/token" "$work/approvers"
mkdir -p "$work/runbooks"
cp "$root/runbooks/redis-down.rbk" "$work/runbooks/"
cat >"$work/runbooks/slow-check.rbk" <<'RBK'
runbook slow-check {
  title "A diagnosis that takes its time"
  diagnose {
    step wait "Wait" { run `sleep 300` timeout 10m }
  }
}
RBK
cat >"$work/rbk.yaml" <<YAML
paths: [runbooks]
records: .rbk/runs
policy:
  grace: 1s
notify:
  notify: 'printf "%s: %s\\n" "\$RBK_ROLE" "\$RBK_MESSAGE" >> notified.txt'
routes:
  - name: slow
    match: ['alertname="SlowCheck"']
    runbook: slow-check
  - name: redis
    match: ['alertname="RedisDown"']
    runbook: redis-down
    params:
      port: {label: port}
      config: "$work/redis.conf"
YAML
records="$work/.rbk/runs"

serve_port="$(free_port)"
serve="http://127.0.0.1:$serve_port"
start_serve() {
  (cd "$work" && exec "$rbk" serve --listen "127.0.0.1:$serve_port" --token-file "$work/token" \
    --approver-token-file "$work/approvers" "$@") \
    2>>"$work/serve.log" &
  serve_pid=$!
  wait_for "rbk serve to answer /healthz" curl -sf --max-time 2 "$serve/healthz"
}
stop_serve() {
  kill -TERM "$serve_pid"
  local status=0
  wait "$serve_pid" || status=$?
  serve_pid=""
  [ "$status" -eq 0 ] || fail "rbk serve exited $status on SIGTERM"
}
start_serve

# ---- Alertmanager, its webhook pointing at rbk serve with the token.
cat >"$work/am.yml" <<YAML
route:
  receiver: rbk
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: rbk
    webhook_configs:
      - url: $serve/alertmanager
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization: {type: Bearer, credentials_file: $work/token}
YAML
prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am-data" \
  --web.listen-address=127.0.0.1:0 --cluster.listen-address= \
  --web.external-url=http://127.0.0.1/ 2>"$work/am.log" &
am_pid=$!
wait_for "Alertmanager to say where it listens" grep -q 'msg="Listening on"' "$work/am.log"
am="http://$(sed -n 's/.*msg="Listening on" address=\([0-9.:]*\).*/\1/p' "$work/am.log" | head -n 1)"
wait_for "Alertmanager to be ready" curl -sf --max-time 2 "$am/-/ready"

alert() {  # alert ENDS_AT: posts the RedisDown alert to Alertmanager
  curl -sf --max-time 5 -H 'Content-Type: application/json' "$am/api/v2/alerts" -d "[{
    \"labels\": {\"alertname\": \"RedisDown\", \"port\": \"$redis_port\", \"severity\": \"high\"},
    \"annotations\": {\"summary\": \"Redis on 127.0.0.1:$redis_port does not answer PING\"},
    \"startsAt\": \"$starts\", \"endsAt\": \"$1\"}]" >/dev/null
}
starts="$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
alert "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)"

runs_json() { (cd "$work" && "$rbk" runs --all --format json); }
state_is() { runs_json | python3 -c "import json,sys; r=json.load(sys.stdin); sys.exit(0 if r and r[0]['state']=='$1' else 1)"; }
wait_for "the alert's run to park at its gate" state_is parked
run_id="$(runs_json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_id"])')"
events="$records/$run_id/events.jsonl"
echo "== run $run_id parked"
[ "$(ls "$records" | wc -l)" -eq 1 ] || fail "more than one run for one alert"
[ "$(ping)" != PONG ] || fail "Redis answers before anyone approved"
grep -q '"type":"alert".*"route":"redis"' "$events" || fail "the record has no alert event"
grep -q '"type":"cause".*"id":"stopped".*"matched":true\|"matched":true.*"id":"stopped"' "$events" ||
  fail "diagnosis did not find Redis stopped"
grep -q '"type":"parked".*"step":"start"' "$events" || fail "the record has no parked event at start"
# Its owner is told, through rbk.yaml's notify command, where it waits.
wait_for "the runbook's owner to be told" grep -q "^oncall: run $run_id of redis-down waits at step start" "$work/notified.txt"

# ---- rbk serve restarts, its socket open to the approvers' group (here
# the test's own); the parked run is still its to approve.
stop_serve
# A file an older server left readable: private before the directory opens.
printf '{}\n' >"$work/.rbk/serve/left-by-an-older-rbk.json"
chmod 644 "$work/.rbk/serve/left-by-an-older-rbk.json"
start_serve --socket-group "$(id -gn)"
[ "$(stat -c %a:%G "$work/.rbk/serve/rbk.sock")" = "660:$(id -gn)" ] ||
  fail "the socket is not 0660 and the approvers' group's: $(stat -c %a:%G "$work/.rbk/serve/rbk.sock")"
[ "$(stat -c %a:%G "$work/.rbk/serve")" = "710:$(id -gn)" ] ||
  fail "the serve directory is not 0710 and the approvers' group's"
open_files="$(find "$work/.rbk/serve" -type f ! -perm 600)"
[ -z "$open_files" ] || fail "files the approvers' group could read in .rbk/serve: $open_files"
(cd "$work" && "$rbk" runs) | grep -q "$run_id.*waiting at gate start" ||
  fail "after a restart rbk serve does not list the parked run"

(cd "$work" && "$rbk" approve "$run_id" start --yes) || fail "rbk approve failed"
wait_for "the approved run to end" state_is over
outcome="$(runs_json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("outcome"))')"
[ "$outcome" = resolved ] || fail "the run ended $outcome, not resolved (log: $(cat "$records/../serve/$run_id.log"))"
[ "$(ping)" = PONG ] || fail "Redis does not answer PONG after the run"
grep -q '"type":"answer".*"passed":true.*"via":"socket"' "$events" ||
  fail "the record does not show the approval through the socket"

# ---- The alert resolves: recorded in the run.
alert "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
wait_for "the resolution to reach the record" grep -q '"type":"alert_update".*"status":"resolved"' "$events"

# ---- A second alert (another port: nothing listens there) parks too, and is
# denied over HTTP with the token: it ends refused, nothing gated ran.
other_port="$(free_port)"
curl -sf --max-time 5 -H 'Content-Type: application/json' "$am/api/v2/alerts" -d "[{
  \"labels\": {\"alertname\": \"RedisDown\", \"port\": \"$other_port\", \"severity\": \"high\"},
  \"annotations\": {}, \"startsAt\": \"$starts\",
  \"endsAt\": \"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)\"}]" >/dev/null
wait_for "the second alert's run to park" state_is parked
second_id="$(runs_json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_id"])')"
# The webhook's token (Alertmanager holds it) decides nothing.
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $token" \
  "$serve/deny" -d "{\"run_id\": \"$second_id\", \"step\": \"start\", \"plan_hash\": \"x\", \"by\": \"x\"}")" = 401 ] ||
  fail "the webhook's token was taken for a decision"
(cd "$work" && "$rbk" deny "$second_id" start --yes --server "$serve" --token-file "$work/approvers") ||
  fail "rbk deny over HTTP failed"
wait_for "the denied run to end" state_is over
grep -q '"type":"answer".*"passed":false.*"reason":"denied by' "$records/$second_id/events.jsonl" ||
  fail "the denial is not in the second run's record"
grep -q '"from":"http 127.0.0.1' "$records/$second_id/events.jsonl" ||
  fail "the record does not say the denial came over HTTP"
redis-cli -h 127.0.0.1 -p "$other_port" ping >/dev/null 2>&1 && fail "the denied start ran"

# ---- Bad requests change nothing and run nothing.
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
[ "$(code "${auth[@]}" "$serve/alertmanager" -d '{"version": "4", "alerts": [')" = 400 ] ||
  fail "malformed JSON is not a 400"
head -c 10000000 /dev/zero | tr '\0' 'x' >"$work/big"
[ "$(code "${auth[@]}" "$serve/alertmanager" --data-binary @"$work/big")" = 413 ] ||
  fail "a 10 MB body is not a 413"
[ "$(code -H 'Content-Type: application/json' "$serve/alertmanager" -d '{}')" = 401 ] ||
  fail "a request without the token is not a 401"
[ "$(code -H 'Authorization: Bearer wrong-token-0123456789' "$serve/alertmanager" -d '{}')" = 401 ] ||
  fail "a wrong token is not a 401"
payload() {  # payload ALERTNAME PORT_LABEL
  python3 -c 'import json,sys; print(json.dumps({"version":"4","status":"firing","receiver":"rbk",
    "groupKey":"{}","truncatedAlerts":0,"groupLabels":{},"commonLabels":{},"commonAnnotations":{},
    "externalURL":"http://am","alerts":[{"status":"firing","labels":{"alertname":sys.argv[1],"port":sys.argv[2]},
    "annotations":{},"startsAt":"2026-12-06T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
    "generatorURL":"","fingerprint":"00000000000000"+sys.argv[1][:1].encode().hex()}]}))' "$1" "$2"
}
[ "$(code "${auth[@]}" "$serve/alertmanager" -d "$(payload DiskFull 1)")" = 200 ] ||
  fail "an unrouted alert is not answered 200"
[ "$(code "${auth[@]}" "$serve/alertmanager" -d "$(payload RedisDown "1; touch $work/pwned")")" = 200 ] ||
  fail "an alert whose parameter is refused is not answered 200"
[ "$(ls "$records" | wc -l)" -eq 2 ] || fail "a bad request started a run"
[ ! -e "$work/pwned" ] || fail "a label's shell payload ran"
grep -q 'no route takes it' "$work/serve.log" || fail "the unrouted alert is not in the log"
curl -sf --max-time 5 "$serve/metrics" | grep -q 'rbk_serve_alerts_total{result="unrouted"} 1' ||
  fail "/metrics does not count the unrouted alert"

# ---- SIGTERM while a run is going: it gets the grace, then is interrupted
# (recorded, resumable), and rbk serve exits 0.
[ "$(code "${auth[@]}" "$serve/alertmanager" -d "$(payload SlowCheck 1)")" = 200 ] ||
  fail "the SlowCheck alert is not answered 200"
slow_running() { (cd "$work" && "$rbk" runs) | grep -q 'slow-check.*diagnosing'; }
wait_for "the slow run to be diagnosing" slow_running
slow_id="$(runs_json | python3 -c 'import json,sys; print([r for r in json.load(sys.stdin) if r["runbook"]=="slow-check"][0]["run_id"])')"
stop_serve
grep -q '"type":"run_end".*"outcome":"interrupted"' "$records/$slow_id/events.jsonl" ||
  fail "the run going when rbk serve stopped is not recorded interrupted"
(cd "$work" && "$rbk" history) | grep "$slow_id" | grep -q 'resume' ||
  fail "the interrupted run is not resumable"
# No process of that run is left (its commands carry RBK_RUN_ID).
left="$(grep -lsa "RBK_RUN_ID=$slow_id" /proc/[0-9]*/environ || true)"
[ -z "$left" ] || fail "processes of the interrupted run outlived rbk serve: $left"

# Under ctest, a copy for the record schema check (tests/validate_records.py).
if [ -n "${RBK_TEST_RECORDS:-}" ]; then
  mkdir -p "$RBK_TEST_RECORDS"
  { echo "# e2e serve"; cat "$events"; } >"$RBK_TEST_RECORDS/e2e-serve-$$.jsonl"
fi
echo "E2E OK: rbk serve took the alert, parked, survived a restart, ran the approved start; Redis answers PONG"
