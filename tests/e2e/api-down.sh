#!/usr/bin/env bash
# End to end: runbooks/api-down.rbk against a real nginx (Debian's package)
# on 127.0.0.1, a free port and a throwaway directory. nginx is started,
# checked, then killed; the runbook must see the health endpoint fail,
# diagnose nginx as down, start it again (its gate passed with --approve,
# as without a terminal), and verify the endpoint answers 200 again.
# A server that cannot be started is a failure with the reason, never a pass.
set -euo pipefail
rbk="${RBK:?set RBK to the rbk binary}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
command -v nginx >/dev/null || { echo "e2e: nginx is not installed (scripts/install-deps.sh nginx)" >&2; exit 1; }

port=""
for p in $(seq 18080 18180); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "e2e: no free port in 18080-18180" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/rbk-e2e-nginx-XXXXXX")"
chmod 755 "$work"
cat >"$work/nginx.conf" <<CONF
daemon on;
pid $work/nginx.pid;
error_log $work/error.log;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  server {
    listen 127.0.0.1:$port;
    location = /healthz { return 200 "ok\n"; }
  }
}
CONF
url="http://127.0.0.1:$port"
code() { curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "$url/healthz" 2>/dev/null || true; }
stop_nginx() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap stop_nginx EXIT

nginx -c "$work/nginx.conf" 2>"$work/start.err" ||
  { echo "e2e: nginx did not start: $(cat "$work/start.err" "$work/error.log" 2>/dev/null)" >&2; exit 1; }
# Polled with a hang guard (5 minutes or more), not a measure of speed: a
# loaded machine may take long to start a server.
for _ in $(seq 1 3000); do [ "$(code)" = 200 ] && break; sleep 0.1; done
[ "$(code)" = 200 ] || { echo "e2e: nginx started but $url/healthz does not answer 200" >&2; exit 1; }

echo "== breaking it: killing nginx (pid $(cat "$work/nginx.pid"))"
kill "$(cat "$work/nginx.pid")"
for _ in $(seq 1 3000); do [ "$(code)" = 200 ] || break; sleep 0.1; done
[ "$(code)" != 200 ] || { echo "e2e: nginx did not stop" >&2; exit 1; }

set +e
# A throwaway project (a runbook runs under the rbk.yaml nearest to it): the
# record stays here, not in the repository.
mkdir -p "$work/runbooks"
cp "$root/runbooks/api-down.rbk" "$work/runbooks/"
printf 'paths: [runbooks]\n' >"$work/rbk.yaml"
(cd "$work" && "$rbk" run api-down -p "url=$url" \
  -p "nginx_conf=$work/nginx.conf" --approve start_proxy)
status=$?
set -e
record="$(ls -d "$work"/.rbk/runs/* | tail -n 1)"
# Under ctest, a copy for the record schema check (tests/validate_records.py).
if [ -n "${RBK_TEST_RECORDS:-}" ] && [ -f "$record/events.jsonl" ]; then
  mkdir -p "$RBK_TEST_RECORDS"
  { echo "# e2e api-down"; cat "$record/events.jsonl"; } >"$RBK_TEST_RECORDS/e2e-api-down-$$.jsonl"
fi
echo "== rbk exit $status; health now: $(code)"
[ "$status" -eq 0 ] || { echo "e2e: rbk run api-down exited $status" >&2; exit 1; }
[ "$(code)" = 200 ] || { echo "e2e: the health endpoint does not answer 200 after the run" >&2; exit 1; }
grep -q '"type":"cause".*"id":"proxy_down".*"matched":true\|"matched":true.*"id":"proxy_down"' "$record/events.jsonl" ||
  { echo "e2e: the record does not show cause proxy_down matched" >&2; exit 1; }
echo "E2E OK: api-down restored $url"
