#!/usr/bin/env bash
# The workbook as a person sees it: writes sample-logs/ (or the folders
# given) to target/workbook-check/report.xlsx, turns it into a PDF with
# LibreOffice and the PDF's pages into PNGs (60 dpi, or DPI=…), and fails
# if any page shows `###` (a number or date too wide for its column).
# Look at the pictures: target/workbook-check/page-*.png.
#
# Needs Debian's libreoffice-calc-nogui and poppler-utils.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/workbook-check
rm -rf "$OUT"
mkdir -p "$OUT"
cargo build --release -q
if [ $# -eq 0 ]; then set -- sample-logs; fi
target/release/exlog "$@" -q -o "$OUT/report.xlsx"
# A profile of its own, so that a LibreOffice already open is not used.
libreoffice -env:UserInstallation="file://$PWD/$OUT/profile" --headless \
  --convert-to pdf --outdir "$OUT" "$OUT/report.xlsx" > /dev/null
pdftoppm -png -r "${DPI:-60}" "$OUT/report.pdf" "$OUT/page"
pages=$(ls "$OUT"/page-*.png | wc -l)
if pdftotext "$OUT/report.pdf" - | grep -n '###'; then
  echo "render_workbook: FAIL: ### on a page of $OUT/report.pdf" >&2
  exit 1
fi
echo "render_workbook: $pages pages, no ###: $OUT/page-*.png"
