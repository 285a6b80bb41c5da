#!/usr/bin/env bash
# Instructions per row (issues 24 and 27): valgrind's callgrind, one
# thread (--threads 1), over a fixed ~40 MB slice of the busy shape.
# Instruction counts repeat from run to run where seconds do not.
#
#   scripts/callgrind.sh                       # build target/profiling/exlog, measure it
#   scripts/callgrind.sh --bin PATH            # measure this binary (or EXLOG=PATH)
#   scripts/callgrind.sh --before A --after B  # two binaries, and the change in %
#   scripts/callgrind.sh --runs json,connector --top 15
#
# The generator is built from this checkout (cargo build --release -p
# exlog-gen) unless EXLOG_GEN names one. Needs valgrind and python3.
#
# Runs (--runs, comma-separated; default all):
#   json       exlog SMTP --format json
#   connector  exlog SMTP --by connector --format csv
#   tls-only   exlog SMTP --by connector --format csv --tls-only
#   iis-json   exlog IIS --format json
# each with --threads 1, stdout and stderr to files. --top N also prints
# each run's N costliest functions by self cost (callgrind_annotate
# --inclusive=no, summed by function by scripts/callgrind_top.py: code
# inlined from another source file counts for the function it is in).
# --keep-going measures the other runs after a failure
# (the exit status is still non-zero).
#
# The slices (made once with the exlog-gen of this checkout, cached under
# target/callgrind/, remade when exlog-gen's sources change):
#   smtp  exlog-gen --size 400MB --seed 1 (defaults otherwise: 4 servers,
#         10MB files, --concurrency 12), then EX01's receive files
#         RECV2024030401-1.LOG to -4.LOG: four consecutive full files of
#         one hour, the rest deleted.
#   iis   exlog-gen --iis --size 160MB --seed 1, then EX01's whole tree
#         (W3SVC1 and W3SVC2, 20 daily files each plus a partial day).
# Each slice's SLICE.txt names its files, bytes, rows and sha256 sums.
# Rows are data rows: lines that are neither empty nor `#` headers.
#
# Everything (slices, callgrind.out files, annotations, the reports
# written) stays under target/callgrind/, which git ignores. Exits
# non-zero when a build, the generator or any measured run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/callgrind

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "callgrind.sh: $*" >&2; exit 1; }

BIN=${EXLOG:-}
BEFORE=""
AFTER=""
RUNS="json,connector,tls-only,iis-json"
TOP=0
KEEP_GOING=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=${2:?--bin needs a path}; shift 2 ;;
    --before) BEFORE=${2:?--before needs a path}; shift 2 ;;
    --after) AFTER=${2:?--after needs a path}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a list}; shift 2 ;;
    --top) TOP=${2:?--top needs a number}; shift 2 ;;
    --keep-going) KEEP_GOING=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $TOP =~ ^[0-9]+$ ]] || die "--top needs a number, got '$TOP'"
if [ -n "$BEFORE$AFTER" ]; then
  if [ -z "$BEFORE" ] || [ -z "$AFTER" ]; then die "--before and --after go together"; fi
  [ -z "$BIN" ] || die "--bin (or EXLOG) and --before/--after exclude each other"
fi
for run in ${RUNS//,/ }; do
  case "$run" in json|connector|tls-only|iis-json) ;; *) die "unknown run '$run'" ;; esac
done
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
  die "needs valgrind (Debian: apt-get install valgrind)"
fi

# binary VAR: VAR's path made absolute, or a clear stop when it is not an
# executable file (not in $(...): a die there would stop the subshell only).
binary() {
  local path=${!1}
  if [ ! -f "$path" ] || [ ! -x "$path" ]; then die "not an executable file: $path"; fi
  printf -v "$1" '%s' "$(realpath "$path")"
}

# The generator of this checkout; its sources' hash stamps the slices.
GEN=${EXLOG_GEN:-}
if [ -z "$GEN" ]; then
  cargo build --release -q -p exlog-gen || die "cargo build of exlog-gen failed"
  GEN=$ROOT/target/release/exlog-gen
fi
binary GEN
STAMP=$(cat crates/exlog-gen/Cargo.toml crates/exlog-gen/src/*.rs | sha256sum | cut -c1-16)

# Data rows of the files named: neither empty (a lone CR counts as
# empty) nor a `#` header line (the first one after a UTF-8 BOM).
rows() {
  cat "$@" | LC_ALL=C grep -c -v -e '^#' -e $'^\xef\xbb\xbf#' -e $'^\r\\{0,1\\}$' || true
}

# make_slice DIR GLOB GEN_ARGS...: generate into DIR.gen, keep the files
# under DIR.gen matching GLOB (a path pattern relative to it) in DIR with
# their relative paths, delete the rest, and write DIR/SLICE.txt.
make_slice() {
  local dir=$1 glob=$2 tmp=$1.gen
  shift 2
  # Remade when the generator's sources or this recipe change.
  local key
  key=$(echo "$STAMP $glob $* rows-v2" | sha256sum | cut -c1-16)
  if [ "$(sed -n 's/^stamp: //p' "$dir/SLICE.txt" 2>/dev/null)" = "$key" ]; then
    return
  fi
  echo "callgrind.sh: making $dir (exlog-gen $*)" >&2
  rm -rf "$dir" "$tmp"
  "$GEN" --out "$tmp" "$@" > /dev/null || die "exlog-gen $* failed"
  local files=()
  mapfile -t files < <(cd "$tmp" && find . -type f -path "$glob" | sed 's|^\./||' | LC_ALL=C sort)
  [ ${#files[@]} -gt 0 ] || die "no file of exlog-gen $* matches $glob"
  local f
  for f in "${files[@]}"; do
    mkdir -p "$dir/$(dirname "$f")"
    mv "$tmp/$f" "$dir/$f"
  done
  rm -rf "$tmp"
  {
    echo "generator: exlog-gen --out DIR $*"
    echo "files: $glob"
    echo "stamp: $key"
    (cd "$dir" && for f in "${files[@]}"; do
      echo "file: $f $(stat -c %s "$f") bytes $(rows "$f") rows $(sha256sum "$f" | cut -c1-64)"
    done)
    echo "bytes: $(cd "$dir" && cat "${files[@]}" | wc -c)"
    echo "rows: $(cd "$dir" && rows "${files[@]}")"
  } > "$dir/SLICE.txt.tmp"
  mv "$dir/SLICE.txt.tmp" "$dir/SLICE.txt"
}

mkdir -p "$OUT"
SMTP=$OUT/slice-smtp
IIS=$OUT/slice-iis
case ",$RUNS," in *,json,*|*,connector,*|*,tls-only,*)
  make_slice "$SMTP" './EX01/*/SmtpReceive/RECV2024030401-[1-4].LOG' --size 400MB --seed 1 ;;
esac
case ",$RUNS," in *,iis-json,*)
  make_slice "$IIS" './EX01/*' --iis --size 160MB --seed 1 ;;
esac

# The binaries: label and path.
labels=()
bins=()
if [ -n "$BEFORE" ]; then
  binary BEFORE
  binary AFTER
  labels=(before after)
  bins=("$BEFORE" "$AFTER")
else
  if [ -z "$BIN" ]; then
    cargo build --profile profiling -q --bin exlog || die "cargo build --profile profiling failed"
    BIN=$ROOT/target/profiling/exlog
  fi
  binary BIN
  labels=(current)
  bins=("$BIN")
fi

# The command line of a run (after the binary), run in $OUT: the slice's
# path is relative, so the reports (the JSON names the files) and their
# instruction counts do not depend on where the clone lives.
args_of() {
  case "$1" in
    json) echo "slice-smtp --format json --threads 1" ;;
    connector) echo "slice-smtp --by connector --format csv --threads 1" ;;
    tls-only) echo "slice-smtp --by connector --format csv --tls-only --threads 1" ;;
    iis-json) echo "slice-iis --format json --threads 1" ;;
  esac
}
slice_of() { case "$1" in iis-json) echo "$IIS" ;; *) echo "$SMTP" ;; esac; }
# A slice's field from its SLICE.txt.
field() { sed -n "s/^$2: //p" "$1/SLICE.txt"; }

# What a reader needs to cite the numbers: date, tools, slices, binaries.
echo "$(date -u +%F), $(valgrind --version), checkout $ROOT at $(git describe --always --dirty 2>/dev/null || echo '?')"
for s in $(for run in ${RUNS//,/ }; do slice_of "$run"; done | sort -u); do
  echo "slice $(basename "$s"): $(field "$s" generator), $(field "$s" files):" \
    "$(grep -c '^file: ' "$s/SLICE.txt") files, $(field "$s" bytes) bytes, $(field "$s" rows) rows ($s/SLICE.txt)"
done
for i in "${!labels[@]}"; do echo "${labels[$i]}: ${bins[$i]}"; done

# measure LABEL BIN RUN: one callgrind run; prints its total instructions.
# A fixed, small environment and working directory: the environment's
# size moves the stack, and with it a few instructions. --threads 1 still
# has two threads (main and the pool's worker): an idle rayon worker
# spins, and how long depends on which thread the OS wakes first;
# --fair-sched=yes hands valgrind's lock over in order. Runs of one binary
# still differ by up to ~12,000 instructions (five runs on 2026-12-07:
# 256,632,593 to 256,644,279), under 0.005%: read a change below
# 0.01% as none.
measure() {
  local label=$1 bin=$2 run=$3 base=$OUT/$1.$3
  local args
  read -r -a args <<< "$(args_of "$run")"
  rm -f "$base".*
  if ! (cd "$OUT" && env -i PATH=/usr/bin:/bin LC_ALL=C \
      valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$base.callgrind.out" \
      --log-file="$base.valgrind.log" "$bin" "${args[@]}" \
      > "$base.stdout" 2> "$base.stderr"); then
    echo "callgrind.sh: $label $run failed: $bin ${args[*]}; its stderr ($base.stderr):" >&2
    tail -n 5 "$base.stderr" >&2
    return 1
  fi
  # Every function (--threshold=100), not only the top 99%, and no
  # source. Its Perl warnings (valgrind 3.19) go to a file of their own.
  callgrind_annotate --inclusive=no --threshold=100 --auto=no "$base.callgrind.out" \
    > "$base.annotate.txt" 2> "$base.annotate.log"
  sed -n 's/^summary: *//p' "$base.callgrind.out"
}

declare -A IR
failed=0
for run in ${RUNS//,/ }; do
  for i in "${!labels[@]}"; do
    if ir=$(measure "${labels[$i]}" "${bins[$i]}" "$run"); then
      IR[${labels[$i]}.$run]=$ir
    else
      failed=1
      [ "$KEEP_GOING" = 1 ] || exit 1
    fi
  done
done

# The table: per run, Ir, rows and Ir per row of each binary (and the
# change in %), then the top functions when asked.
echo
{
  printf 'run\trows'
  for l in "${labels[@]}"; do printf '\t%s Ir\t%s Ir/row' "$l" "$l"; done
  if [ ${#labels[@]} = 2 ]; then printf '\tchange'; fi
  echo
  for run in ${RUNS//,/ }; do
    n=$(field "$(slice_of "$run")" rows)
    printf '%s\t%s' "$run" "$n"
    for l in "${labels[@]}"; do
      ir=${IR[$l.$run]:-}
      if [ -n "$ir" ]; then printf '\t%s\t%s' "$ir" "$(awk -v i="$ir" -v n="$n" 'BEGIN { printf "%.1f", i / n }')"
      else printf '\tfailed\t-'; fi
    done
    if [ ${#labels[@]} = 2 ]; then
      a=${IR[before.$run]:-} b=${IR[after.$run]:-}
      if [ -n "$a" ] && [ -n "$b" ]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "\t%+.2f%%", (b - a) * 100 / a }'
      else printf '\t-'; fi
    fi
    echo
  done
} | column -t -s $'\t'
# The JSON documents without their timing fields (elapsed_seconds,
# gb_per_s, wherever they are) and the partial result an exlog older than
# --partial embedded (issue 26 §2), canonical.
untimed() {
  python3 -c '
import json, sys
def drop(v):
    if isinstance(v, dict):
        return {k: drop(x) for k, x in v.items() if k not in ("elapsed_seconds", "gb_per_s")}
    return [drop(x) for x in v] if isinstance(v, list) else v
doc = json.load(open(sys.argv[1]))
doc.pop("partial", None)
print(json.dumps(drop(doc), sort_keys=True))' "$1"
}
if [ ${#labels[@]} = 2 ]; then
  for run in ${RUNS//,/ }; do
    if [ -z "${IR[before.$run]:-}" ] || [ -z "${IR[after.$run]:-}" ]; then continue; fi
    case "$run" in
      *json) if [ "$(untimed "$OUT/before.$run.stdout")" = "$(untimed "$OUT/after.$run.stdout")" ]; then
          echo "$run: the two reports are the same but for their timing fields"
        else
          echo "$run: the two reports DIFFER beyond their timing fields ($OUT/before.$run.stdout, $OUT/after.$run.stdout)"
        fi
        continue ;;
    esac
    if cmp -s "$OUT/before.$run.stdout" "$OUT/after.$run.stdout"; then
      echo "$run: the two reports are byte-identical"
    else
      echo "$run: the two reports DIFFER ($OUT/before.$run.stdout, $OUT/after.$run.stdout)"
    fi
  done
fi
if [ "$TOP" -gt 0 ]; then
  for run in ${RUNS//,/ }; do
    for l in "${labels[@]}"; do
      if [ -z "${IR[$l.$run]:-}" ]; then continue; fi
      f=$OUT/$l.$run.annotate.txt
      echo
      echo "$l $run: top $TOP functions by self cost (of ${IR[$l.$run]}; $f)"
      python3 scripts/callgrind_top.py "$f" "$TOP" "$(field "$(slice_of "$run")" rows)"
    done
  done
fi
echo
echo "callgrind output: $OUT/{before,after,current}.RUN.{callgrind.out,annotate.txt,stdout,stderr}"
exit "$failed"
