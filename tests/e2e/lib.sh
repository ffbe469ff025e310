# Helpers the e2e scripts share; source it after setting `e2e` (the name
# their messages begin with).

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Says what went wrong and ends the test.
fail() { echo "e2e $e2e: $*" >&2; exit 1; }
# Ends the test when one of the tools named is not installed.
need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/test.sh installs it)"
  done
}
# Polls "${@:2}" until it succeeds; a hang guard of 5 minutes, not a measure
# of speed; $1 names what it waits for, in the message when it hangs.
wait_for() {
  local what="$1"; shift
  for _ in $(seq 1 3000); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "hung: $what"
}
