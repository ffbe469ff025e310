# Sourced by the benchmarks: `best CMD…` runs CMD five times and prints the
# fastest wall time in milliseconds (output discarded, failures ignored).
now() { date +%s%N; }
best() {
  local best_ns=0
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
    local d=$((t1 - t0))
    if [ "$best_ns" -eq 0 ] || [ "$d" -lt "$best_ns" ]; then best_ns=$d; fi
  done
  echo $((best_ns / 1000000))
}
