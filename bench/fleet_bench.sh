#!/usr/bin/env bash
# The fleet figure of issue 16: one step (`true`) on N targets over loopback
# sshd, rbk against `xargs -P PARALLEL ssh` and against Ansible ad-hoc
# (`ansible -f PARALLEL -m command -a true`), measured in the same run,
# alternated, REPS repetitions; prints medians, bests and the ratios. The aim
# is rbk within 1.2x of xargs -P and at least 5x faster than Ansible. Prints
# figures; asserts nothing (not a test), but says so when a method did not
# succeed on every target.
#   bench/fleet_bench.sh [RBK_BINARY] [N_TARGETS=50] [PARALLEL=10]
#   REPS=5       repetitions of each method
#   KEX=NAME     KexAlgorithms for every method (say curve25519-sha256);
#                default: ssh's own (sntrup761x25519-sha512 first in 9.2)
#   KEEP=1       keep the throwaway directory (configs, logs, records)
#
# Every target is its own sshd process on 127.0.0.1, on a port of its own,
# with one host key and one client key made here (ed25519), a known_hosts
# naming each [127.0.0.1]:PORT and strict host-key checking (nothing is
# weakened for any method). Sessions get an empty HOME and PermitUserRC no,
# as in tests/sshd.cpp: root's ~/.bashrc (pyenv) is no part of the figure.
# Every method opens every connection cold in each repetition (no master is
# open before it starts):
#   rbk          `rbk run fleet --non-interactive`: the whole run, which opens
#                one master connection per host (ControlMaster=auto,
#                ControlPersist=300, sockets in its own private directory),
#                runs the step through it, writes the record, and at the end
#                asks every master to end over its control socket (the mux
#                protocol's terminate request, no process started).
#   xargs        `xargs -P PARALLEL -I{} ssh -F CFG -o ConnectTimeout=10 {} true`:
#                one plain connection per host, no master (the floor).
#   xargs+mux    the same with rbk's own ssh options (ControlMaster=auto,
#                ControlPersist=300, ServerAlive*, a fresh control directory
#                per repetition), timed up to and including the
#                `ssh -O exit` of every master, 16 at a time (as rbk did
#                before it spoke the mux protocol itself).
#   ansible      `ansible all -i INVENTORY -f PARALLEL -m command -a true`,
#                Ansible's defaults (its own ControlPersist=60s masters, in a
#                fresh control directory per repetition: closed after the
#                timing, untimed, so that the next repetition is cold too;
#                Python interpreter discovery; no pipelining).
#   ansible+tuned  the same with pipelining on and ansible_python_interpreter
#                set, as a tuned inventory would (for reference).
# Wall: from the method's start until it exits. CPU: user+system time of
# everything the method started on the client side (the ssh masters that
# left its process tree included) plus what the sshd side spent for it
# (every per-connection sshd and what its sessions ran), from getrusage and
# the listeners' /proc stat once every session has ended. On a machine
# other work keeps busy, CPU time moves less than wall time, but it moves.
set -euo pipefail
cd "$(dirname "$0")/.."
rbk=$(realpath "${1:-build/rbk}")
n=${2:-50}
par=${3:-10}
reps=${REPS:-5}
[ -x "$rbk" ] || { echo "fleet_bench: no rbk binary at $rbk (build first, or pass it)" >&2; exit 2; }

bash scripts/install-deps.sh openssh-server ansible-core

work=$(mktemp -d /tmp/rbk-fleet-bench-XXXXXX)
cfg="$work/ssh_config"
sshd_pids=()
measure_pid=""
# Ends what this script started, by PID: the method being measured (its
# process group, by measure.py), the masters still open in its
# control directories, the per-connection sshd processes and then each sshd
# listener, then removes the throwaway directory.
cleanup() {
  set +e
  if [ -n "${measure_pid:-}" ]; then kill -TERM "$measure_pid" 2>/dev/null; wait "$measure_pid"; fi
  close_masters "$work/cp" >/dev/null 2>&1
  local pid child
  for pid in "${sshd_pids[@]}"; do
    kill -STOP "$pid" 2>/dev/null
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill -KILL "$child" 2>/dev/null; done
    kill -TERM "$pid" 2>/dev/null
    kill -CONT "$pid" 2>/dev/null
  done
  for pid in "${sshd_pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "${KEEP:-}" ] && { echo "kept $work" >&2; return; }
  rm -rf "$work"
}
# `ssh -O exit` of every master socket under DIR (any depth), in parallel.
close_masters() {
  find "$1" -type s 2>/dev/null | xargs -r -P 16 -I{} ssh -F "$cfg" -S {} -O exit x 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the fleet
mkdir -p "$work/home" "$work/sshd" "$work/cp" "$work/project/runbooks" "$work/ansible"
chmod 755 "$work/home"
user=$(id -un)
ssh-keygen -q -t ed25519 -N '' -C rbk-bench-host -f "$work/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C rbk-bench-client -f "$work/client_ed25519"
cp "$work/client_ed25519.pub" "$work/authorized_keys"
# sshd as root chroots its pre-authentication child here (tests/sshd.cpp).
if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then mkdir -m 0755 /run/sshd; fi

free_ports() {  # N ports on 127.0.0.1 nothing listens on now (the kernel's choice)
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Starts sshd I on PORT; waits until its log says it listens. Returns 1 when
# the port was taken meanwhile.
start_sshd() {
  local i=$1 port=$2 base="$work/sshd/$1"
  cat > "$base.config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey "$work/host_ed25519"
PidFile "$base.pid"
AuthorizedKeysFile "$work/authorized_keys"
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
MaxSessions 100
MaxStartups 100
Subsystem sftp internal-sftp
SetEnv "HOME=$work/home"
PermitUserRC no
EOF
  : > "$base.log"
  /usr/sbin/sshd -D -e -f "$base.config" -E "$base.log" </dev/null >>"$base.log" 2>&1 &
  local pid=$!
  sshd_pids+=("$pid")
  for _ in $(seq 500); do
    if grep -q "Server listening on 127.0.0.1 port $port\." "$base.log"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      if grep -q 'Address already in use' "$base.log"; then return 1; fi
      echo "fleet_bench: sshd $i (port $port) exited; its log:" >&2
      cat "$base.log" >&2
      exit 1
    fi
    sleep 0.01
  done
  echo "fleet_bench: sshd $i (port $port) did not start listening" >&2
  exit 1
}

read -r -a ports <<< "$(free_ports "$n")"
hosts=()
for ((i = 0; i < n; i++)); do
  hosts+=("$(printf 't%02d' $((i + 1)))")
  until start_sshd "$i" "${ports[i]}"; do ports[i]=$(free_ports 1); done
done

read -r keytype key _ < "$work/host_ed25519.pub"
for ((i = 0; i < n; i++)); do echo "[127.0.0.1]:${ports[i]} $keytype $key"; done > "$work/known_hosts"

# One ssh configuration for all: each target a host entry of its own (for
# xargs), then what every method shares (rbk and Ansible give the address,
# port and user themselves).
{
  for ((i = 0; i < n; i++)); do
    printf 'Host %s\n  HostName 127.0.0.1\n  Port %s\n' "${hosts[i]}" "${ports[i]}"
  done
  cat <<EOF
Host *
  User $user
  IdentityFile "$work/client_ed25519"
  IdentitiesOnly yes
  UserKnownHostsFile "$work/known_hosts"
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  LogLevel ERROR
EOF
  if [ -n "${KEX:-}" ]; then echo "  KexAlgorithms $KEX"; fi
} > "$cfg"

# ---------------------------------------------------------------- rbk
proj="$work/project"
{
  echo "ssh:"
  echo "  config: $cfg"
  echo "  connect_timeout: 10s"
  echo "targets:"
  echo "  hosts:"
  for ((i = 0; i < n; i++)); do
    echo "    ${hosts[i]}: {address: 127.0.0.1, port: ${ports[i]}, user: $user}"
  done
  echo "  groups:"
  echo "    fleet: [$(IFS=,; echo "${hosts[*]}" | sed 's/,/, /g')]"
} > "$proj/rbk.yaml"
cat > "$proj/runbooks/fleet.rbk" <<EOF
runbook fleet {
  param hosts : targets = "fleet"
  remediate {
    step touch "Run true everywhere" {
      on hosts parallel $par
      run \`true\`
    }
  }
}
EOF

# ---------------------------------------------------------------- Ansible
inv="$work/ansible/hosts.ini"
{
  for ((i = 0; i < n; i++)); do
    echo "${hosts[i]} ansible_host=127.0.0.1 ansible_port=${ports[i]} ansible_user=$user"
  done
  echo "[all:vars]"
  echo "ansible_ssh_common_args='-F $cfg -o ConnectTimeout=10'"
} > "$inv"
cp "$inv" "$work/ansible/tuned.ini"
echo "ansible_python_interpreter=/usr/bin/python3" >> "$work/ansible/tuned.ini"
# An empty configuration of its own (no ansible.cfg of the caller's), its
# local files in the throwaway directory; host-key checking left on.
: > "$work/ansible/ansible.cfg"
export ANSIBLE_CONFIG="$work/ansible/ansible.cfg"
export ANSIBLE_HOME="$work/ansible/home"
export ANSIBLE_LOCAL_TEMP="$work/ansible/tmp"
export ANSIBLE_NOCOLOR=1

# ---------------------------------------------------------------- methods
# Each method is a small sh script, run by measure.py below.
m_dir="$work/methods"
mkdir -p "$m_dir"
mux_opts="-o BatchMode=yes -o ConnectTimeout=10 -o ControlMaster=auto -o ControlPath=\$CP/%C \
-o ControlPersist=300 -o ServerAliveInterval=15 -o ServerAliveCountMax=3"
printf '%s\n' "${hosts[@]}" > "$work/hosts.txt"
cat > "$m_dir/rbk.sh" <<EOF
cd "$proj" && exec "$rbk" run fleet --non-interactive
EOF
cat > "$m_dir/xargs.sh" <<EOF
exec xargs -P $par -I{} ssh -F "$cfg" -o ConnectTimeout=10 {} true < "$work/hosts.txt"
EOF
# One `ssh -O exit` per host, 16 at a time: what rbk falls back on when a
# master does not answer over its socket (interpreter/runtime/ssh.cpp).
cat > "$m_dir/xargs_mux.sh" <<EOF
xargs -P $par -I{} ssh -F "$cfg" $mux_opts {} true < "$work/hosts.txt"
st=\$?
xargs -P 16 -I{} ssh -F "$cfg" -o BatchMode=yes -o ControlPath="\$CP/%C" -O exit {} \
  < "$work/hosts.txt" 2>/dev/null
exit \$st
EOF
cat > "$m_dir/ansible_default.sh" <<EOF
ANSIBLE_SSH_CONTROL_PATH_DIR="\$CP" exec ansible all -i "$inv" -f $par -m command -a true
EOF
cat > "$m_dir/ansible_tuned.sh" <<EOF
ANSIBLE_PIPELINING=True ANSIBLE_SSH_CONTROL_PATH_DIR="\$CP" \
  exec ansible all -i "$work/ansible/tuned.ini" -f $par -m command -a true
EOF

# measure.py OUT CP -- ARGV: runs ARGV in a session of its own (output to
# OUT, CP in its environment; SIGTERM kills its process group) and prints
# "WALL_MS STATUS CLIENT_CPU_MS SERVER_CPU_MS". WALL is until ARGV exits. Then, untimed, it closes the masters left open under CP
# (Ansible's; rbk and xargs+mux closed theirs) and waits for every process
# ARGV started, those that left its tree included (the ssh masters: it is
# their subreaper), so that CLIENT_CPU is the user+system time of all of
# them; SERVER_CPU is what the sshd listeners (SSHD_PIDS) reaped meanwhile:
# every per-connection sshd and what the sessions ran, once each listener
# has no child left.
cat > "$work/measure.py" <<'EOF'
import ctypes, os, resource, signal, subprocess, sys, time
out, cp, argv = sys.argv[1], sys.argv[2], sys.argv[4:]
listeners = [int(p) for p in os.environ["SSHD_PIDS"].split()]
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER

def server_ticks():
    total = 0
    for pid in listeners:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total

def busy():
    for pid in listeners:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            if f.read().strip():
                return True
    return False

before = server_ticks()
env = dict(os.environ, CP=cp)
with open(out, "w") as o:
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    # Stopped (the script's cleanup): the method's process group goes too.
    def stop(signum, frame):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sys.exit(143)
    signal.signal(signal.SIGTERM, stop)
    status = p.wait()
    t1 = time.perf_counter_ns()
for sock in (os.path.join(cp, n) for n in os.listdir(cp)):
    subprocess.call(["ssh", "-F", os.environ["SSH_CFG"], "-S", sock, "-O", "exit", "x"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
deadline = time.monotonic() + 30
while busy() and time.monotonic() < deadline:
    time.sleep(0.01)
after = server_ticks()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
hz = os.sysconf("SC_CLK_TCK")
print((t1 - t0) // 1000000, status, round((ru.ru_utime + ru.ru_stime) * 1000),
      (after - before) * 1000 // hz)
EOF
export SSHD_PIDS="${sshd_pids[*]}" SSH_CFG="$cfg"

# Did the method succeed on every target? "yes", or what went wrong.
verdict() {  # METHOD STATUS
  local m=$1 st=$2 count
  case $m in
    rbk)
      [ "$st" -eq 0 ] || { echo "rbk exited $st"; return; }
      local rec
      rec=$(ls -td "$proj"/.rbk/runs/*/ 2>/dev/null | head -1)
      count=$(grep '"type":"command_end"' "$rec/events.jsonl" | grep '"exit":0,' |
        grep '"ok":true' | grep -o '"target":"[^"]*"' | sort -u | wc -l)
      [ "$count" -eq "$n" ] || { echo "the record shows $count of $n targets ok"; return; } ;;
    xargs*)
      # xargs exits 123 when any ssh failed.
      [ "$st" -eq 0 ] || { echo "xargs exited $st"; return; } ;;
    ansible*)
      count=$(grep -c '| CHANGED | rc=0 >>' "$out" || true)
      [ "$st" -eq 0 ] && [ "$count" -eq "$n" ] ||
        { echo "ansible exited $st, $count of $n hosts CHANGED rc=0"; return; } ;;
  esac
  echo yes
}

methods=(rbk xargs xargs_mux ansible_default ansible_tuned)
declare -A walls cpus
failures=0
out="$work/out.txt"

echo "fleet_bench: $n targets (one sshd each on 127.0.0.1), parallel $par, $reps repetitions," \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(ssh -V 2>&1 | cut -d, -f1);" \
  "$(ansible --version 2>/dev/null | head -1)${KEX:+; KexAlgorithms $KEX}" >&2
for ((r = 0; r < reps; r++)); do
  # Alternated: each repetition starts with the next method.
  for ((k = 0; k < ${#methods[@]}; k++)); do
    m=${methods[$(((r + k) % ${#methods[@]}))]}
    cp_dir="$work/cp/$r-$m"
    mkdir -p "$cp_dir"
    /usr/bin/python3 "$work/measure.py" "$out" "$cp_dir" -- sh "$m_dir/$m.sh" > "$work/m.txt" &
    measure_pid=$!
    wait "$measure_pid"
    measure_pid=""
    read -r wall st client server < "$work/m.txt"
    ok=$(verdict "$m" "$st")
    if [ "$ok" != yes ]; then
      failures=$((failures + 1))
      echo "fleet_bench: ERROR: $m, repetition $((r + 1)): $ok; the end of its output:" >&2
      tail -20 "$out" >&2
    fi
    walls[$m]+="$wall "
    cpus[$m]+="$((client + server)) "
    echo "  repetition $((r + 1)) $m: $wall ms; CPU client $client ms + sshd side $server ms ($ok)" >&2
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
minimum() { tr ' ' '\n' | grep . | sort -n | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
declare -A med bst cpu
for m in "${methods[@]}"; do
  med[$m]=$(echo "${walls[$m]}" | median)
  bst[$m]=$(echo "${walls[$m]}" | minimum)
  cpu[$m]=$(echo "${cpus[$m]}" | median)
done

echo
echo "one step (\`true\`) on $n targets over loopback sshd, parallel $par, $(nproc) cores" \
  "($reps repetitions, alternated; wall ms; CPU ms of both sides, median)"
row() { printf '%-46s %8s %8s %9s\n' "$@"; }
row "method" "median" "best" "CPU"
row "rbk run (masters opened and closed)" "${med[rbk]}" "${bst[rbk]}" "${cpu[rbk]}"
row "xargs -P $par ssh (plain, the floor)" "${med[xargs]}" "${bst[xargs]}" "${cpu[xargs]}"
row "xargs -P $par ssh, rbk's master options" "${med[xargs_mux]}" "${bst[xargs_mux]}" "${cpu[xargs_mux]}"
row "ansible -f $par -m command (defaults)" "${med[ansible_default]}" "${bst[ansible_default]}" "${cpu[ansible_default]}"
row "ansible -f $par, pipelining, interpreter set" "${med[ansible_tuned]}" "${bst[ansible_tuned]}" "${cpu[ansible_tuned]}"
echo
echo "rbk / xargs:               $(ratio "${med[rbk]}" "${med[xargs]}") wall (aim at most 1.20x), $(ratio "${cpu[rbk]}" "${cpu[xargs]}") CPU"
echo "rbk / xargs with masters:  $(ratio "${med[rbk]}" "${med[xargs_mux]}") wall, $(ratio "${cpu[rbk]}" "${cpu[xargs_mux]}") CPU"
echo "ansible / rbk:             $(ratio "${med[ansible_default]}" "${med[rbk]}") wall (aim at least 5x), $(ratio "${cpu[ansible_default]}" "${cpu[rbk]}") CPU"
echo "ansible tuned / rbk:       $(ratio "${med[ansible_tuned]}" "${med[rbk]}") wall, $(ratio "${cpu[ansible_tuned]}" "${cpu[rbk]}") CPU"
echo "CPU per target:            rbk $((cpu[rbk] / n)) ms, xargs $((cpu[xargs] / n)) ms," \
  "xargs+mux $((cpu[xargs_mux] / n)) ms, ansible $((cpu[ansible_default] / n)) ms"
if [ "$failures" -gt 0 ]; then
  echo "fleet_bench: ERROR: $failures runs did not succeed on all $n targets (above); figures unreliable" >&2
  exit 1
fi
