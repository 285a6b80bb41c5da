#!/usr/bin/env bash
# Compares two exlog binaries' outputs on the same inputs, byte for byte:
# every report as CSV and as a terminal table, the JSON document (its
# timing fields and any embedded partial result left out, each warning
# object taken as its message), and merge of
# the partial result (`--partial FILE`; of an exlog older than that flag,
# the one its JSON embeds). For a change meant to leave behaviour
# unchanged (a refactor, a speed-up).
#
#   scripts/same_output.sh OLD_EXLOG NEW_EXLOG PATH...
#
# Exits 1 at the first difference, naming the report and the input.
set -euo pipefail
old=$1 new=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reports="connector remote cipher failure day server session legacy fallout readiness coverage http-client http-app tlsrpt"
for input in "$@"; do
  for bin in old new; do
    exe=${!bin}
    mkdir -p "$work/$bin"
    for r in $reports; do
      "$exe" "$input" --by "$r" --format csv >"$work/$bin/$r.csv" 2>"$work/$bin/$r.err" || true
      "$exe" "$input" --by "$r" --format table >"$work/$bin/$r.table" 2>/dev/null || true
    done
    "$exe" "$input" --format json 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("partial",None); [d["stats"].pop(k,None) for k in ("elapsed_seconds","gb_per_s")]; d["warnings"]=[w["message"] if isinstance(w,dict) else w for w in d.get("warnings",[])]; json.dump(d,sys.stdout,indent=1)' \
        >"$work/$bin/report.json" || true
    if "$exe" --help | grep -q -e '--partial'; then
      "$exe" "$input" --partial "$work/$bin/part.json" >/dev/null 2>&1 || true
    else
      "$exe" "$input" --format json -o "$work/$bin/part.json" 2>/dev/null || true
    fi
    "$exe" merge "$work/$bin/part.json" --by readiness --format csv >"$work/$bin/merged.csv" 2>/dev/null || true
    rm -f "$work/$bin/part.json" # its timing differs; what it carries is in merged.csv
  done
  for f in "$work"/old/*; do
    name=$(basename "$f")
    if ! cmp -s "$f" "$work/new/$name"; then
      echo "DIFFERENT: $name on $input"
      diff <(head -c 200000 "$f") <(head -c 200000 "$work/new/$name") | head -10
      exit 1
    fi
  done
  echo "same: $(ls "$work/old" | wc -l) outputs on $input"
  rm -rf "$work/old" "$work/new"
done
