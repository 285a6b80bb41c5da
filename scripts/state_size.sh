#!/usr/bin/env bash
# What a --state costs (issue 26): its size and load time for D days of
# one busy server, and the time of a run with nothing new.
#
#   scripts/state_size.sh [DAYS...]        # default: 7 30
#   KEEP_DAYS=14 scripts/state_size.sh 90  # with --state-keep-days 14
#
# Each corpus is exlog-gen's busy shape for one server (--servers 1,
# --concurrency 12, interleaved sessions) spread over DAYS days
# (--days), MB_PER_DAY MB a day (default 100) and REMOTES distinct remotes
# (default 20000: a server's partners recur). Cached under
# bench-data/state-DAYS (git-ignored). Prints, per corpus: its bytes and
# sessions, the state's size, the first run's time, and the median of 3
# runs with nothing new (which load the state, stat every file, check
# every head, build every report and write the state back), and the
# median of 3 loads alone (`exlog merge STATE --by connector`).
set -euo pipefail
cd "$(dirname "$0")/.."
MB_PER_DAY=${MB_PER_DAY:-100}
REMOTES=${REMOTES:-20000}
KEEP=()
[ -z "${KEEP_DAYS:-}" ] || KEEP=(--state-keep-days "$KEEP_DAYS")
days=("$@")
[ ${#days[@]} -gt 0 ] || days=(7 30)
cargo build --release -p exlog -p exlog-gen >/dev/null 2>&1
EXLOG=target/release/exlog GEN=target/release/exlog-gen
printf '| days | keep days | logs | sessions | state | first run | nothing new | load |\n|---|---|---|---|---|---|---|---|\n'
for d in "${days[@]}"; do
  data=bench-data/state-$d-$MB_PER_DAY
  if [ ! -f "$data/truth.json" ]; then
    rm -rf "$data"
    "$GEN" --out "$data" --servers 1 --days "$d" --size "$((d * MB_PER_DAY))MB" \
      --remotes "$REMOTES" --seed 26 >/dev/null
  fi
  state=$(mktemp -d)/tls.exlog
  t0=$(date +%s.%N)
  "$EXLOG" "$data" --state "$state" "${KEEP[@]}" --format json -o /dev/null 2>/dev/null || true
  t1=$(date +%s.%N)
  times=()
  for _ in 1 2 3; do
    a=$(date +%s.%N)
    "$EXLOG" "$data" --state "$state" "${KEEP[@]}" --format json -o /dev/null 2>"$state.err" || true
    b=$(date +%s.%N)
    times+=("$(echo "$b - $a" | bc)")
  done
  grep -q "nothing new" "$state.err" || { echo "not 'nothing new': $(cat "$state.err")" >&2; exit 1; }
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  loads=()
  for _ in 1 2 3; do
    a=$(date +%s.%N)
    "$EXLOG" merge "$state" --by connector --format csv -o /dev/null
    b=$(date +%s.%N)
    loads+=("$(echo "$b - $a" | bc)")
  done
  load=$(printf '%s\n' "${loads[@]}" | sort -n | sed -n 2p)
  sessions=$(python3 -c "import json; t=json.load(open('$data/truth.json'))['totals']; print(t['sessions_tls']+t['sessions_failed']+t['sessions_plaintext'])")
  printf '| %s | %s | %s MB | %s | %s MB | %.2f s | %.2f s | %.2f s |\n' "$d" "${KEEP_DAYS:-all}" \
    "$(du -sm "$data" | cut -f1)" "$sessions" \
    "$(echo "scale=1; $(stat -c %s "$state") / 1000000" | bc)" \
    "$(echo "$t1 - $t0" | bc)" "$median" "$load"
  rm -rf "$(dirname "$state")"
done
