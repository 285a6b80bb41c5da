#!/usr/bin/env bash
# The HTML report as a person sees it: renders the page from sample-logs/
# and from a generated 20 MB corpus in headless Chromium
# (scripts/check_html.py), failing on any console error, any request
# outside the file, an empty chart, a page wider than a phone or a table
# that scrolls sideways at 1280 px. Leaves the
# pages and their desktop (1280 px) and phone (390 px) screenshots in
# target/html-check/. With DOCS=1, also refreshes docs/report.png, the
# README's screenshot.
#
# Needs Debian's chromium and the websocket-client Python package.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/html-check
mkdir -p "$OUT"
cargo build --release --workspace --bins -q
target/release/exlog sample-logs -q -o "$OUT/sample.html"
rm -rf "$OUT/gen"
target/release/exlog-gen --out "$OUT/gen" --size 20MB --seed 7 > /dev/null
target/release/exlog "$OUT/gen" -q -o "$OUT/generated.html"
python3 scripts/check_html.py "$OUT/sample.html" "$OUT/generated.html"
if [ "${DOCS:-0}" = 1 ]; then
  python3 scripts/check_html.py --max-height 2300 "$OUT/sample.html"
  cp "$OUT/sample.desktop.png" docs/report.png
  echo "docs/report.png refreshed"
fi
