#!/usr/bin/env bash
# End-to-end benchmark: exlog against the scan floor (ripgrep) and DuckDB
# SQL on a generated corpus shaped like a busy server, hot cache, median of
# RUNS runs, plus peak RSS. Prints one Markdown table and the targets.
#
#   scripts/bench.sh                 # 1 GB corpus, 5 runs
#   SIZE=4GB RUNS=3 scripts/bench.sh
#   BIG=1 scripts/bench.sh           # also one 4 GB file (chunked scan)
#   COLD=1 scripts/bench.sh          # also a cold-cache run (needs root)
#   GZ=1 scripts/bench.sh            # also the corpus gzipped file by file,
#                                    # against parallel gzip -dc and DuckDB
#   IIS=1 scripts/bench.sh           # also IIS logs of the same size
#                                    # (exlog-gen --iis), against rg and DuckDB
#   MULTI=1 scripts/bench.sh         # also --events (its cost, DuckDB over
#                                    # the Parquet checked against exlog) and
#                                    # exlog merge of per-server partials
#
# The corpus (cached in bench-data/, git-ignored) is exlog-gen's default:
# a dozen sessions open at once per server, so rows of one session lie
# about ten rows apart, and ~80 000 remote hosts per GB. The same size
# with --concurrency 1 (sessions one after another) is measured too, for
# comparison only: it flatters a session scan.
#
# Needs hyperfine, ripgrep (Debian packages) and the duckdb Python package;
# installs them when run as root and they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1GB}
RUNS=${RUNS:-5}
DATA=bench-data/busy-$SIZE
CALM=bench-data/calm-$SIZE
OUT=bench-data/results-$SIZE
mkdir -p "$OUT"

if ! command -v hyperfine >/dev/null || ! command -v rg >/dev/null || [ ! -x /usr/bin/time ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: install hyperfine, ripgrep and time" >&2; exit 1; }
  apt-get update -qq && apt-get install -y -qq hyperfine ripgrep time >/dev/null
fi
python3 -c 'import duckdb' 2>/dev/null || pip install -q duckdb

cargo build --release --workspace --bins -q
EXLOG=target/release/exlog
GEN=target/release/exlog-gen
# (Re)generate when missing or made by other exlog-gen sources (a stamp of
# them, not the binary's time: a rebuild alone changes no byte).
STAMP=$(cat crates/exlog-gen/Cargo.toml crates/exlog-gen/src/*.rs | sha256sum | cut -c1-16)
fresh() { [ -f "$1/$2" ] && [ "$(cat "$1/.gen-stamp" 2>/dev/null)" = "$STAMP" ]; }
if ! fresh "$DATA" truth.json; then
  rm -rf "$DATA" bench-data/big-4GB
  "$GEN" --out "$DATA" --size "$SIZE" --seed 1
  echo "$STAMP" > "$DATA/.gen-stamp"
fi
if ! fresh "$CALM" truth.json; then
  rm -rf "$CALM"
  "$GEN" --out "$CALM" --size "$SIZE" --seed 1 --concurrency 1
  echo "$STAMP" > "$CALM/.gen-stamp"
fi
BYTES=$(find "$DATA" -name '*.LOG' -printf '%s\n' | awk '{s+=$1} END {print s}')
FILES=$(find "$DATA" -name '*.LOG' | wc -l)
SHAPE=$(python3 - "$DATA/truth.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
n, s = t["totals"], t["shape"]
sessions = n["sessions_tls"] + n["sessions_failed"] + n["sessions_plaintext"]
print(f"{n['lines']} lines, {sessions} sessions, {s['distinct_remotes']} remote IPs, "
      f"median row distance {s['median_row_distance']}")
PY
)
CALMSHAPE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shape"]["median_row_distance"])' "$CALM/truth.json")
echo "corpus: $DATA, $FILES files, $BYTES bytes, $SHAPE; $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(date -u +%F)"

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
  exit 1
fi

names=(
  "exlog --format json"
  "exlog --by connector"
  "exlog --by remote"
  "exlog --by session -o FILE"
  "exlog --by cipher (TLS rows only)"
  "exlog --by connector --tls-only"
  "exlog --format json --threads 1"
  "exlog --format json, --concurrency 1 corpus"
  "rg -c 'TLS protocol SP_PROT' (scan floor)"
  "duckdb SQL connector+remote"
)
cmds=(
  "$EXLOG $DATA --format json"
  "$EXLOG $DATA --format csv --by connector"
  "$EXLOG $DATA --format csv --by remote"
  "$EXLOG $DATA --by session -o $OUT/sessions.csv"
  "$EXLOG $DATA --format csv --by cipher"
  "$EXLOG $DATA --format csv --by connector --tls-only"
  "$EXLOG $DATA --format json --threads 1"
  "$EXLOG $CALM --format json"
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

# 1 -> 2 threads, interleaved: this shared machine drifts within minutes,
# so hyperfine's blocks of runs would compare two different moments.
: > "$OUT/scaling.txt"
for _ in $(seq "$RUNS"); do
  for j in 1 2; do
    /usr/bin/time -a -o "$OUT/scaling.txt" -f "$j %e" "$EXLOG" "$DATA" --format json --threads "$j" > /dev/null 2>&1
  done
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

if [ "${GZ:-0}" = 1 ]; then
  GZDATA=bench-data/busy-$SIZE-gz
  if [ ! -d "$GZDATA" ] || [ "$DATA/truth.json" -nt "$GZDATA" ]; then
    rm -rf "$GZDATA"
    (cd "$DATA" && find . -name '*.LOG' -print0 | xargs -0 -P"$(nproc)" -I{} sh -c \
      'mkdir -p "../$(basename "$PWD")-gz/$(dirname "{}")" && gzip -c "{}" > "../$(basename "$PWD")-gz/{}.gz"')
  fi
  # The same numbers from the gzipped files as from the plain ones.
  "$EXLOG" "$GZDATA" --format csv --by connector > "$OUT/gz.connector.csv"
  "$EXLOG" "$DATA" --format csv --by connector | cmp -s - "$OUT/gz.connector.csv" \
    && echo "exlog on .gz vs plain (connector report): agree" \
    || { echo "exlog on .gz vs plain: DIFFER" >&2; exit 1; }
  hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$OUT/gz.json" \
    -n "exlog --format json, gzipped" "$EXLOG $GZDATA --format json > /dev/null" \
    -n "exlog --by cipher, gzipped" "$EXLOG $GZDATA --by cipher > /dev/null" \
    -n "parallel gzip -dc (floor)" "find $GZDATA -name '*.gz' -print0 | xargs -0 -P$(nproc) -n8 gzip -dc > /dev/null" \
    -n "duckdb SQL connector+remote, gzipped" "python3 scripts/duckdb_tally.py $GZDATA both '*.LOG.gz' > /dev/null"
  python3 - "$OUT/gz.json" "$BYTES" <<'PY'
import json, sys
runs = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
size = int(sys.argv[2])
print("\n| command (gzipped corpus) | seconds (median) | GB/s of log |")
print("|---|---|---|")
for name, t in runs.items():
    print(f"| `{name}` | {t:.3f} | {size / 1e9 / t:.2f} |")
ratio = runs["exlog --format json, gzipped"] / runs["parallel gzip -dc (floor)"]
print(f"\n- {'met' if ratio <= 1.3 else 'NOT met'}: default JSON from .gz within 1.3x of the decompression floor ({ratio:.2f}x)")
PY
fi

if [ "${IIS:-0}" = 1 ]; then
  # One #Fields: layout throughout, so DuckDB (one schema per file) can
  # read the same files; exlog's layout changes are tested elsewhere.
  IISDATA=bench-data/iis-$SIZE
  if ! fresh "$IISDATA" truth-iis.json; then
    rm -rf "$IISDATA"
    "$GEN" --iis --iis-one-layout --out "$IISDATA" --size "$SIZE" --seed 1
    echo "$STAMP" > "$IISDATA/.gen-stamp"
  fi
  IISBYTES=$(find "$IISDATA" -name 'u_ex*.log' -printf '%s\n' | awk '{s+=$1} END {print s}')
  echo "IIS corpus: $IISDATA, $(find "$IISDATA" -name 'u_ex*.log' | wc -l) files, $IISBYTES bytes"
  $EXLOG "$IISDATA" --format json > "$OUT/iis.json"
  python3 - "$OUT/iis.json" "$IISDATA/truth-iis.json" <<'PY'
import json, sys
got, truth = (json.load(open(p)) for p in sys.argv[1:3])
rows = lambda v: sorted(json.dumps(r, sort_keys=True) for r in v)
bad = [k for k in ("http-client", "http-app") if rows(got[k]) != rows(truth[k])]
print("exlog vs truth-iis.json:", "agree" if not bad else f"DIFFER in {bad}")
sys.exit(1 if bad else 0)
PY
  python3 scripts/duckdb_iis.py "$IISDATA" app | tail -n +2 | sort > "$OUT/duckdb.http-app.csv"
  $EXLOG "$IISDATA" --by http-app --format csv | tail -n +2 | sort > "$OUT/exlog.http-app.csv"
  if cmp -s "$OUT/duckdb.http-app.csv" "$OUT/exlog.http-app.csv"; then
    echo "exlog vs DuckDB (http-app report): agree"
  else
    echo "exlog vs DuckDB (http-app report): DIFFER"; diff "$OUT/duckdb.http-app.csv" "$OUT/exlog.http-app.csv" | head
    exit 1
  fi
  iis_names=(
    "exlog --format json, IIS"
    "exlog --by http-client, IIS"
    "exlog --by http-app, IIS"
    "rg -c ' 40 6610 ' (scan floor), IIS"
    "duckdb SQL http-app+http-client, IIS"
  )
  iis_cmds=(
    "$EXLOG $IISDATA --format json"
    "$EXLOG $IISDATA --format csv --by http-client"
    "$EXLOG $IISDATA --format csv --by http-app"
    "rg --no-ignore -c -F ' 40 6610 ' $IISDATA"
    "python3 scripts/duckdb_iis.py $IISDATA both"
  )
  args=()
  for i in "${!iis_names[@]}"; do args+=(-n "${iis_names[$i]}" "${iis_cmds[$i]} > /dev/null"); done
  hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$OUT/iis-hyperfine.json" "${args[@]}"
  : > "$OUT/iis-rss.txt"
  for i in "${!iis_names[@]}"; do
    python3 scripts/peak_mem.py bash -c "exec ${iis_cmds[$i]}" >> "$OUT/iis-rss.txt"
  done
  python3 - "$OUT/iis-hyperfine.json" "$OUT/iis-rss.txt" "$IISBYTES" <<'PY'
import json, re, sys
runs = json.load(open(sys.argv[1]))["results"]
mem = [re.findall(r"[0-9.]+", l)[:3] for l in open(sys.argv[2])]
size = int(sys.argv[3])
med = {r["command"]: r["median"] for r in runs}
print("\n| command (IIS corpus) | seconds (median) | GB/s | peak RSS (VmHWM) |")
print("|---|---|---|---|")
for r, (anon, filed, hwm) in zip(runs, mem):
    print(f"| `{r['command']}` | {r['median']:.3f} | {size / 1e9 / r['median']:.2f} | {float(hwm):.0f} MiB |")
j = med["exlog --format json, IIS"]
rg, db = med["rg -c ' 40 6610 ' (scan floor), IIS"], med["duckdb SQL http-app+http-client, IIS"]
def check(label, ok, got):
    print(f"- {'met' if ok else 'NOT met'}: {label} ({got})")
print("\nTargets (issue 13: those of the SMTP scan):")
check("default JSON >= 3 GB/s", size / 1e9 / j >= 3, f"{size / 1e9 / j:.2f} GB/s")
check("default JSON <= 3x the rg floor", j / rg <= 3, f"{j / rg:.1f}x")
check("default JSON >= 8x DuckDB", db / j >= 8, f"{db / j:.1f}x")
PY
fi

if [ "${MULTI:-0}" = 1 ]; then
  # DuckDB over the events must give exlog's own reports (fails otherwise).
  EV=$OUT/events.parquet
  for k in connector remote day readiness; do
    $EXLOG "$DATA" --by "$k" --format csv --events "$EV" > "$OUT/multi.$k.csv"
  done
  python3 scripts/events_sql.py "$EV" "$OUT"/multi.{connector,remote,day,readiness}.csv
  echo "events: $(stat -c %s "$EV") bytes of Parquet"
  # The cost of --events, interleaved runs (medians), and peak RSS. At
  # least 11 rounds: on this shared machine five gave 11% one time and
  # 36% the next for the same binaries.
  : > "$OUT/events.txt"
  for _ in $(seq "$(( RUNS > 11 ? RUNS : 11 ))"); do
    for v in plain events; do
      extra=""; [ $v = events ] && extra="--events $EV"
      /usr/bin/time -a -o "$OUT/events.txt" -f "json-$v %e %M" $EXLOG "$DATA" --format json $extra > /dev/null 2>&1
      /usr/bin/time -a -o "$OUT/events.txt" -f "connector-$v %e %M" $EXLOG "$DATA" --by connector --format csv $extra > /dev/null 2>&1
    done
  done
  # Per-server partials, then merge: the same reports as one run.
  parts=()
  for server in "$DATA"/EX*; do
    p=$OUT/part-$(basename "$server").json
    $EXLOG "$server" --partial "$p" > /dev/null
    parts+=("$p")
  done
  $EXLOG merge "${parts[@]}" --by readiness --format csv > "$OUT/merged.readiness.csv"
  $EXLOG "$DATA" --by readiness --format csv | cmp -s - "$OUT/merged.readiness.csv" \
    && echo "exlog merge of per-server partials vs one run (readiness): agree" \
    || { echo "exlog merge vs one run: DIFFER" >&2; exit 1; }
  hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$OUT/multi.json" \
    -n "exlog merge (${#parts[@]} partials) --format json" "$EXLOG merge ${parts[*]} --format json > /dev/null" \
    -n "DuckDB SQL over the events (4 reports)" "python3 scripts/events_sql.py $EV $OUT/multi.connector.csv $OUT/multi.remote.csv $OUT/multi.day.csv $OUT/multi.readiness.csv > /dev/null"
  python3 - "$OUT/events.txt" "$OUT/multi.json" <<'PY'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = lambda k, i: statistics.median(float(r[i]) for r in rows if r[0] == k)
print("\n| run (busy corpus) | seconds (median) | peak RSS (median) |")
print("|---|---|---|")
for k in ("json-plain", "json-events", "connector-plain", "connector-events"):
    print(f"| `{k}` | {med(k, 1):.3f} | {med(k, 2) / 1024:.0f} MiB |")
for r in json.load(open(sys.argv[2]))["results"]:
    print(f"| `{r['command']}` | {r['median']:.3f} | |")
for k in ("json", "connector"):
    cost = med(f"{k}-events", 1) / med(f"{k}-plain", 1) - 1
    print(f"- {'met' if cost <= 0.25 else 'NOT met'}: --events costs <= 25% over {k} ({cost * 100:.0f}%)")
PY
fi

python3 - "$OUT/hyperfine.json" "$OUT/rss.txt" "$BYTES" "$CALMSHAPE" "$OUT/scaling.txt" <<'PY'
import json, os, re, statistics, sys
runs = json.load(open(sys.argv[1]))["results"]
pairs = [l.split() for l in open(sys.argv[5]) if l.strip()]
scale = {j: statistics.median(float(t) for k, t in pairs if k == j) for j in ("1", "2")}
mem = [re.findall(r"[0-9.]+", l)[:3] for l in open(sys.argv[2])]
size = int(sys.argv[3])
med = {r["command"]: r["median"] for r in runs}
rss = {r["command"]: (float(hwm), float(anon)) for r, (anon, filed, hwm) in zip(runs, mem)}
print("\n| command | seconds (median) | GB/s | peak RSS (VmHWM) | of which owned (RssAnon) |")
print("|---|---|---|---|---|")
for r in runs:
    sz = size
    if "4 GB file" in r["command"]:
        sz = os.path.getsize("bench-data/big-4GB/RECV2024030400-1.LOG")
    hwm, anon = rss[r["command"]]
    print(f"| `{r['command']}` | {r['median']:.3f} | {sz / 1e9 / r['median']:.2f} | {hwm:.0f} MiB | {anon:.0f} MiB |")
j, c = med["exlog --format json"], med["exlog --by connector"]
rg, db = med["rg -c 'TLS protocol SP_PROT' (scan floor)"], med["duckdb SQL connector+remote"]
s, t1 = med["exlog --by session -o FILE"], med["exlog --format json --threads 1"]
tl = med["exlog --by connector --tls-only"]
def check(label, ok, got):
    print(f"- {'met' if ok else 'NOT met'}: {label} ({got})")
print("\nTargets (issue 27, which replaced issue 10's wall-time ones):")
check("default JSON >= 4x DuckDB", db / j >= 4, f"{db / j:.1f}x")
check("default JSON <= 5x the rg floor", j / rg <= 5, f"{j / rg:.1f}x")
check("--tls-only <= 1.5x the rg floor", tl / rg <= 1.5, f"{tl / rg:.2f}x")
ratio = scale["1"] / scale["2"]
check("1 -> 2 threads >= 1.8x (interleaved runs, medians)", ratio >= 1.8,
      f"{ratio:.2f}x: {scale['1']:.2f} s -> {scale['2']:.2f} s; hyperfine's blocks: {t1 / j:.2f}x")
check("peak RSS of the default run <= 75 MiB (issue 27: no higher than 69-75 MiB)",
      rss["exlog --format json"][0] <= 75, f"{rss['exlog --format json'][0]:.0f} MiB")
print(f"- for comparison: default JSON {size / 1e9 / j:.2f} GB/s, --by connector "
      f"{size / 1e9 / c:.2f} GB/s, --by session to a file {size / 1e9 / s:.2f} GB/s")
# JSON holds every aggregate report; the remote report is the big one.
check("JSON <= CSV of the same reports + 16 MiB", rss["exlog --format json"][0] <= rss["exlog --by remote"][0] + 16,
      f"{rss['exlog --format json'][0]:.0f} vs {rss['exlog --by remote'][0]:.0f} MiB for --by remote")
print(f"- for comparison: the --concurrency 1 corpus (median row distance {sys.argv[4]}) runs at "
      f"{size / 1e9 / med['exlog --format json, --concurrency 1 corpus']:.2f} GB/s")
PY
