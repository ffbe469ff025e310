#!/usr/bin/env bash
# The README's first command: a real incident on this machine.
#
# Starts a throwaway Redis on 127.0.0.1 (a free port, a temporary directory),
# breaks it (kills the server), then runs runbooks/redis-down.rbk against it:
# the alert fires, diagnosis finds the server stopped, the start waits at its
# gate — you answer it; without a terminal the script approves it with
# --approve and says so — and verification waits for PONG. Afterwards the
# throwaway Redis is shut down and the run's record is kept.
#
# Installs what is missing (Debian packages) and builds rbk if needed.
# RBK=/path/to/rbk uses an existing binary instead of building one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

bash "$root/scripts/install-deps.sh" redis-server

rbk="${RBK:-}"
if [ -z "$rbk" ]; then
  echo "== building rbk"
  # Configured as scripts/test.sh configures build/, so either command reuses
  # what the other built.
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
  cmake --build "$root/build" --target rbk >/dev/null
  rbk="$root/build/rbk"
fi

# A port nothing listens on.
port=""
for p in $(seq 6390 6490); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "demo: no free port in 6390-6490" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/rbk-demo-XXXXXX")"
cat >"$work/redis.conf" <<CONF
bind 127.0.0.1
port $port
daemonize yes
dir $work
pidfile $work/redis.pid
logfile $work/redis.log
save ""
appendonly no
CONF
# Notifications go to a file here, so nothing is sent anywhere.
cat >"$work/rbk.yaml" <<'CONF'
roles:
  oncall:            {name: "Primary on-call", contact: "oncall@example.com"}
  secondary-oncall:  {name: "Secondary on-call", contact: "secondary@example.com"}
  infra-owner:       {name: "Infrastructure owner", contact: "infra@example.com"}
notify:
  page:   'printf "%s page %s (%s): %s\n" "$(date -u +%FT%TZ)" "$RBK_ROLE" "$RBK_CONTACT" "$RBK_MESSAGE" >> notifications.log'
  notify: 'printf "%s notify %s (%s): %s\n" "$(date -u +%FT%TZ)" "$RBK_ROLE" "$RBK_CONTACT" "$RBK_MESSAGE" >> notifications.log'
CONF

ping() { redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true; }
stop_redis() { redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true; }
trap stop_redis EXIT

echo "== starting a throwaway Redis on 127.0.0.1:$port (data in $work)"
redis-server "$work/redis.conf"
# Polled with a hang guard (5 minutes or more), not a measure of speed: a
# loaded machine may take long to start a server.
for _ in $(seq 1 3000); do [ "$(ping)" = PONG ] && break; sleep 0.1; done
[ "$(ping)" = PONG ] || { echo "demo: Redis did not start; see $work/redis.log" >&2; exit 1; }

echo "== breaking it: killing redis-server (pid $(cat "$work/redis.pid"))"
kill "$(cat "$work/redis.pid")"
for _ in $(seq 1 3000); do [ "$(ping)" = PONG ] || break; sleep 0.1; done

approve=()
if ! { true </dev/tty; } 2>/dev/null; then
  echo "== no terminal to answer the gate: approving step 'start' with --approve start"
  approve=(--approve start)
fi

echo "== rbk run redis-down -p port=$port -p config=$work/redis.conf ${approve[*]}"
echo
set +e
# A throwaway project: the runbook beside the rbk.yaml above (a runbook runs
# under the rbk.yaml nearest to it), so its record and notifications stay here.
mkdir -p "$work/runbooks"
cp "$root/runbooks/redis-down.rbk" "$work/runbooks/"
(cd "$work" && "$rbk" run redis-down -p "port=$port" \
  -p "config=$work/redis.conf" "${approve[@]}")
status=$?
set -e
echo
echo "== Redis now says: $(ping)"
record="$(ls -d "$work"/.rbk/runs/* 2>/dev/null | tail -n 1)"
echo "== the run's record: $record (events.jsonl, output/)"
[ -f "$work/notifications.log" ] && echo "== notifications sent: $work/notifications.log"
exit $status
