#!/usr/bin/env bash
# End-to-end benchmark: exlog against the scan floor (ripgrep) and DuckDB SQL
# on a generated corpus, hot cache, median of RUNS runs, plus peak RSS.
#
#   scripts/bench.sh                 # 1 GB corpus, 5 runs
#   SIZE=4GB RUNS=3 scripts/bench.sh
#   BIG=1 scripts/bench.sh           # also one 4 GB file (chunked scan)
#   COLD=1 scripts/bench.sh          # also a cold-cache run (needs root)
#
# Needs hyperfine, ripgrep (Debian packages) and the duckdb Python package;
# installs them when run as root and they are missing. The corpus is cached
# in bench-data/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1GB}
RUNS=${RUNS:-5}
DATA=bench-data/corpus-$SIZE
OUT=bench-data/results-$SIZE
mkdir -p "$OUT"

if ! command -v hyperfine >/dev/null || ! command -v rg >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "bench: install hyperfine and ripgrep" >&2; exit 1; }
  apt-get update -qq && apt-get install -y -qq hyperfine ripgrep >/dev/null
fi
python3 -c 'import duckdb' 2>/dev/null || pip install -q duckdb

cargo build --release --bins -q
EXLOG=target/release/exlog
# (Re)generate when missing or made by an older exlog-gen (a few seconds).
if [ ! -f "$DATA/truth.json" ] || [ target/release/exlog-gen -nt "$DATA/truth.json" ]; then
  rm -rf "$DATA" bench-data/big-4GB
  target/release/exlog-gen --out "$DATA" --size "$SIZE" --seed 1
fi
BYTES=$(find "$DATA" -name '*.LOG' -printf '%s\n' | awk '{s+=$1} END {print s}')
FILES=$(find "$DATA" -name '*.LOG' | wc -l)
echo "corpus: $DATA, $FILES files, $BYTES bytes; $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM"

# Correctness first: exlog must agree with the generator and with DuckDB
# (on the columns DuckDB computes: the connector report without plaintext).
$EXLOG "$DATA" --format json > "$OUT/exlog.json"
python3 - "$OUT/exlog.json" "$DATA/truth.json" <<'PY'
import json, sys
got, truth = (json.load(open(p)) for p in sys.argv[1:3])
bad = [k for k in ("connector", "remote", "cipher", "failure", "day") if got[k] != truth[k]]
print("exlog vs truth.json:", "agree" if not bad else f"DIFFER in {bad}")
sys.exit(1 if bad else 0)
PY
python3 scripts/duckdb_tally.py "$DATA" connector | tail -n +2 > "$OUT/duckdb.connector.csv"
$EXLOG "$DATA" --by connector --format csv | tail -n +2 \
  | python3 -c 'import csv,sys; [print(",".join(r[:11])) for r in csv.reader(sys.stdin)]' > "$OUT/exlog.connector.csv"
if cmp -s "$OUT/duckdb.connector.csv" "$OUT/exlog.connector.csv"; then
  echo "exlog vs DuckDB (connector report): agree"
else
  echo "exlog vs DuckDB (connector report): DIFFER"; diff "$OUT/duckdb.connector.csv" "$OUT/exlog.connector.csv" | head
fi

names=(
  "exlog --format json"
  "exlog --by connector"
  "exlog --by remote"
  "exlog --by cipher"
  "exlog --by failure"
  "exlog --by session (CSV, 1 row per session)"
  "exlog --by day"
  "exlog --by readiness"
  "exlog --format json --threads 1"
  "exlog --format json --tls-only"
  "exlog --by connector --tls-only"
  "exlog --format json --tls-only --threads 1"
  "rg -c 'TLS protocol SP_PROT' (scan floor)"
  "duckdb SQL connector+remote"
)
cmds=(
  "$EXLOG $DATA --format json"
  "$EXLOG $DATA --format csv --by connector"
  "$EXLOG $DATA --format csv --by remote"
  "$EXLOG $DATA --format csv --by cipher"
  "$EXLOG $DATA --format csv --by failure"
  "$EXLOG $DATA --format csv --by session"
  "$EXLOG $DATA --format csv --by day"
  "$EXLOG $DATA --format csv --by readiness"
  "$EXLOG $DATA --format json --threads 1"
  "$EXLOG $DATA --format json --tls-only"
  "$EXLOG $DATA --format csv --by connector --tls-only"
  "$EXLOG $DATA --format json --tls-only --threads 1"
  "rg --no-ignore -c 'TLS protocol SP_PROT' $DATA"
  "python3 scripts/duckdb_tally.py $DATA both"
)
if [ "${BIG:-0}" = 1 ]; then
  BIGFILE=bench-data/big-4GB/RECV2024030400-1.LOG
  if [ ! -f "$BIGFILE" ]; then
    mkdir -p "$(dirname "$BIGFILE")"
    while [ "$(stat -c %s "$BIGFILE" 2>/dev/null || echo 0)" -lt 4000000000 ]; do
      find "$DATA" -name 'RECV*.LOG' | sort | xargs cat >> "$BIGFILE"
    done
  fi
  names+=("exlog --format json, one 4 GB file")
  cmds+=("$EXLOG $BIGFILE --format json")
fi

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]} > /dev/null"); done
hyperfine --style basic --warmup 2 --runs "$RUNS" --export-json "$OUT/hyperfine.json" "${args[@]}"

# Peak memory, one run each: VmHWM (what /usr/bin/time calls max RSS) and
# its parts, RssAnon (memory exlog owns) and RssFile (resident pages of
# memory-mapped logs, shared with the page cache).
: > "$OUT/rss.txt"
for i in "${!names[@]}"; do
  python3 scripts/peak_mem.py bash -c "exec ${cmds[$i]}" >> "$OUT/rss.txt"
done

if [ "${COLD:-0}" = 1 ]; then
  cold() {
    if sync && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then
      /usr/bin/time -f "cold cache: $1: %e s wall, %U s user, %S s sys" bash -c "$2 > /dev/null"
    else
      echo "cold cache: not measured (cannot write /proc/sys/vm/drop_caches here)"
    fi
  }
  cold "cat (disk read floor)" "find $DATA -name '*.LOG' -exec cat {} +"
  cold "exlog --format json" "$EXLOG $DATA --format json"
  cold "rg -c" "rg --no-ignore -c 'TLS protocol SP_PROT' $DATA"
fi

python3 - "$OUT/hyperfine.json" "$OUT/rss.txt" "$BYTES" <<'PY'
import json, os, re, sys
runs = json.load(open(sys.argv[1]))["results"]
mem = [re.findall(r"[0-9.]+", l)[:3] for l in open(sys.argv[2])]
size = int(sys.argv[3])
base = runs[0]["median"]
print("\n| tool | seconds (median) | GB/s | time vs `exlog --format json` | peak RSS (VmHWM) | of which owned (RssAnon) |")
print("|---|---|---|---|---|---|")
for r, (anon, filed, hwm) in zip(runs, mem):
    sz = size
    if "4 GB file" in r["command"]:
        sz = os.path.getsize("bench-data/big-4GB/RECV2024030400-1.LOG")
    print(f"| `{r['command']}` | {r['median']:.3f} | {sz / 1e9 / r['median']:.2f} | {r['median'] / base:.2f}x | {hwm} MiB | {anon} MiB |")
PY
