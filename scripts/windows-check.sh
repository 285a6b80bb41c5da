#!/usr/bin/env bash
# exlog.exe run, not only built: cross-builds the Windows binary, runs it
# under Wine, and compares what it writes with what the Linux binary writes
# from the same files, byte for byte (scripts/wine/compare.py says what
# may differ: the path as typed, and the OS's wording of an error).
#
#  - every CSV report and the JSON, on sample-logs/ and on a generated
#    busy-server corpus of about 100 MB;
#  - exit codes, warnings and errors on broken input (a binary file, a
#    cut last line, a truncated .gz, a missing path);
#  - -o report.xlsx and -o report.html, opened on Linux afterwards;
#  - paths typed the ways Windows users type them: C:\ with backslashes,
#    forward slashes, a trailing backslash, a quoted path with spaces
#    through cmd, \\?\C:\, and RECV2024*.LOG wildcards through cmd.
#
# Installs what it needs when missing (the x86_64-pc-windows-gnu target,
# MinGW's gcc, wine64); exits 3 when that cannot be done here. Wine 8 has
# no bcryptprimitives.dll, which Rust's standard library imports: a
# test-only shim (scripts/wine/bcryptprimitives.c) goes next to the exe.
# Everything is left in target/windows-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-pc-windows-gnu
OUT=$PWD/target/windows-check
started=$SECONDS
trap 'status=$?; [ $status = 0 ] || [ $status = 3 ] ||
  echo "windows-check: FAILED (exit code $status; the first difference is above)" >&2' EXIT

cannot() {
  echo "windows-check: $1" >&2
  exit 3
}

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || cannot "$1 is missing: apt-get install $2"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
  "${apt[@]}" install -y "$2" >/dev/null 2>&1 ||
    { "${apt[@]}" update >/dev/null 2>&1 && "${apt[@]}" install -y "$2" >/dev/null 2>&1; } ||
    cannot "$1 is missing and apt-get install $2 failed"
}

echo "== tools"
rustup target list --installed 2>/dev/null | grep -qx $TARGET ||
  rustup target add $TARGET >/dev/null 2>&1 || cannot "rustup target add $TARGET failed"
command -v x86_64-w64-mingw32-gcc >/dev/null || apt_install x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
command -v wine >/dev/null || apt_install wine wine64
wine --version 2>/dev/null

echo "== build: exlog and exlog-gen for Linux, exlog.exe for Windows"
cargo build --release -q --bin exlog --bin exlog-gen --workspace
cargo build --release -q --target $TARGET --bin exlog
EXLOG=$PWD/target/release/exlog

export WINEPREFIX=$OUT/wineprefix WINEDEBUG=-all WINEARCH=win64
# No Mono or Gecko prompts: exlog needs neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "== a Wine prefix in $WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  wineboot --init >/dev/null 2>&1
  wineserver --wait
fi
C=$WINEPREFIX/drive_c
rm -rf "$C/exlog" "$C/Logs" "$C/Logs - Copy" "$C/out" "$OUT/linux"
mkdir -p "$C/exlog" "$C/Logs" "$C/Logs - Copy" "$C/out" "$OUT/linux"
cp target/$TARGET/release/exlog.exe "$C/exlog/"
x86_64-w64-mingw32-gcc -shared -O2 -Wall -o "$C/exlog/bcryptprimitives.dll" \
  scripts/wine/bcryptprimitives.c -ladvapi32

# win ARG...: exlog.exe under Wine, from C:\out. cmd LINE: a command line
# as typed in cmd.exe, run from a batch file (passed as an argument, Wine
# would quote it again). Both leave the exit code in $rc.
#
# Wine's server SIGKILLs a process whose Unix side is still there one
# second after it exited (server/process.c, start_sigkill_timer): on a
# loaded machine that is an exit code of 137 after every byte was written.
# Such a run is made again (at most twice more), and says so.
exec 3>&1
under_wine() {
  local attempt
  for attempt in 1 2 3; do
    rc=0
    # (The outer 2> takes bash's own "Killed" notice.)
    { (cd "$C/out" && wine "$@") >"$OUT/run.out" 2>"$OUT/run.err"; } 2>/dev/null || rc=$?
    [ "$rc" = 137 ] || break
    echo "  (Wine killed the process as it left, 137: run again)" >&3
  done
  cat "$OUT/run.out"
  cat "$OUT/run.err" >&2
}
win() {
  under_wine 'C:\exlog\exlog.exe' "$@"
}
cmd() {
  printf '@echo off\r\n%s\r\nexit /b %%errorlevel%%\r\n' "$1" >"$C/out/typed.cmd"
  under_wine cmd /c 'C:\out\typed.cmd'
}
linux() {
  rc=0
  (cd "$C/out" && "$EXLOG" "$@") || rc=$?
}
compare() {
  python3 scripts/wine/compare.py "$@"
}
same_rc() { # WHAT LINUX WINDOWS
  if [ "$2" != "$3" ]; then
    echo "  DIFFERENT: exit code of $1: Linux $2, Windows $3"
    exit 1
  fi
  echo "  same: exit code $2 ($1)"
}

cp -r sample-logs "$C/Logs/sample"
cp -r sample-logs "$C/Logs - Copy/sample"
L=$C/Logs/sample
echo "== sample-logs: every report as CSV, and the JSON, from C:\\Logs\\sample"
linux "$L" -o "$OUT/linux/sample/" 2>"$OUT/linux/sample.err"
lrc=$rc
win 'C:\Logs\sample' -o 'C:\out\sample\' --partial 'C:\out\sample.partial.json' 2>"$C/out/sample.err"
same_rc sample-logs "$lrc" "$rc"
compare dir "$OUT/linux/sample" "$C/out/sample" --map 'C:\Logs\sample'="$L"
compare text "$OUT/linux/sample.err" "$C/out/sample.err" --map 'C:\Logs\sample'="$L"
# Warnings name files as typed, with Windows' separators.
copy='C:\Logs\sample\EX01\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\RECV2024030810-1 - Copy.LOG'
grep -qF "$copy: same content as" "$C/out/sample.err" || { echo "  DIFFERENT: no warning names $copy"; exit 1; }
echo "  warning names the file as typed: $copy"
# Windows' partial result (--partial): the Linux exlog reads it back
# (checking its CRC-32) into the same reports.
# The partial result carries the connector inventory Windows read.
"$EXLOG" merge "$C/out/sample.partial.json" -o "$OUT/linux/merged/" \
  2>"$OUT/linux/merged.err" ||
  { echo "  DIFFERENT: the Linux exlog cannot merge Windows' partial result: $(cat "$OUT/linux/merged.err")"; exit 1; }
for report in connector remote readiness legacy; do
  compare text "$OUT/linux/sample/$report.csv" "$OUT/linux/merged/$report.csv" --name "$report.csv merged on Linux from Windows' partial result"
done

# Each form of the same folder: the same reports and messages.
forms=(
  'slashes|C:/Logs/sample'
  'trailing backslash|C:\Logs\sample\'
  'quoted, with spaces, through cmd|"C:\Logs - Copy\sample"'
  'quoted, with spaces and a trailing backslash, through cmd|"C:\Logs - Copy\sample\"'
  '\\?\ prefix|\\?\C:\Logs\sample'
)
for form in "${forms[@]}"; do
  what=${form%%|*} typed=${form#*|}
  echo "== sample-logs typed as $typed ($what)"
  rm -rf "$C/out/form"
  if [[ $typed == \"* ]]; then
    # The path last: after `\"` the rest of a line is inside the quotes.
    cmd "C:\\exlog\\exlog.exe -o C:\\out\\form\\ 2>C:\\out\\form.err $typed"
  else
    win "$typed" -o 'C:\out\form\' 2>"$C/out/form.err"
  fi
  same_rc "$what" "$lrc" "$rc"
  path=${typed//\"/}
  compare dir "$OUT/linux/sample" "$C/out/form" --map "${path%\\}=$L"
  compare text "$OUT/linux/sample.err" "$C/out/form.err" --map "${path%\\}=$L"
done

echo "== wildcards through cmd: RECV2024*.LOG and EX0? are expanded by exlog.exe"
R='TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive'
S='TransportRoles\Logs\Hub\ProtocolLog\SmtpSend'
# Linux: the shell expands (case-sensitively); Windows: exlog, ignoring case.
linux "$L"/EX01/${R//\\//}/RECV2024*.LOG "$L"/EX0?/${S//\\//}/SEND*.LOG \
  --by connector >"$OUT/linux/wild.csv" 2>"$OUT/linux/wild.err"
lrc=$rc
cmd "C:\\exlog\\exlog.exe C:\\Logs\\sample\\EX01\\$R\\recv2024*.log C:\\Logs\\sample\\EX0?\\$S\\SEND*.LOG --by connector >C:\\out\\wild.csv 2>C:\\out\\wild.err"
same_rc wildcards "$lrc" "$rc"
compare text "$OUT/linux/wild.csv" "$C/out/wild.csv"
compare text "$OUT/linux/wild.err" "$C/out/wild.err" --map 'C:\Logs\sample'="$L"
cmd 'C:\exlog\exlog.exe C:\Logs\sample\EX01\RECV2099*.LOG 2>C:\out\none.err'
expect='exlog: error: C:\Logs\sample\EX01\RECV2099*.LOG: no file or folder matches this pattern'
if [ "$rc" != 1 ] || [ "$(tr -d '\r' <"$C/out/none.err")" != "$expect" ]; then
  echo "  DIFFERENT: a pattern matching nothing gave exit code $rc and: $(cat "$C/out/none.err")"
  exit 1
fi
echo "  a pattern matching nothing: exit code 1 and: $expect"

echo "== logs in Exchange's own install path: the server is named by its connectors"
X="$C/Program Files/Microsoft/Exchange Server/V15"
rm -rf "$X/TransportRoles" && mkdir -p "$X" && cp -r sample-logs/EX01/TransportRoles "$X/"
# The path names no host (its own parts are skipped), and Windows' canonical
# \\?\C:\… form must not make one of "?": EX01\Default Frontend EX01 names it.
# The whole Logs folder (the guide's $env:ExchangeInstallPath recipe) as
# typed three ways, and V15 above it: FrontEnd and Hub are no servers, and
# the send logs are EX01's too.
V='C:\Program Files\Microsoft\Exchange Server\V15'
for typed in "$V\\$R" "$V\TransportRoles\Logs" "${V//\\//}/TransportRoles/Logs" \
  "$V\TransportRoles\Logs\\" "$V"; do
  win "$typed" --by server -q >"$C/out/install.csv"
  servers=$(tail -n +2 "$C/out/install.csv" | cut -d, -f1,2 | tr -d '\r' | tr '\n' ' ')
  want='receive,EX01 '
  [ "$typed" = "$V\\$R" ] || want='receive,EX01 send,EX01 '
  [ "$servers" = "$want" ] || { echo "  DIFFERENT: $typed: rows named: $servers(expected $want)"; exit 1; }
  echo "  $typed: $servers"
done

echo "== broken input: a binary file, a cut last line, a truncated .gz, a missing path"
B=$C/Logs/broken
mkdir -p "$B"
log=sample-logs/EX01/$(echo "$R" | tr '\\' /)/RECV2024030811-1.LOG
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64)' >"$B/RECV2024030900-1.LOG"
head -c -40 "$log" >"$B/RECV2024030901-1.LOG"
gzip -9nc "$log" >"$OUT/whole.gz"
head -c $(($(wc -c <"$OUT/whole.gz") / 2)) "$OUT/whole.gz" >"$B/RECV2024030902-1.LOG.gz"
linux "$B" "$B/missing" --by connector >"$OUT/linux/broken.csv" 2>"$OUT/linux/broken.err"
lrc=$rc
win 'C:\Logs\broken' 'C:\Logs\broken\missing' --by connector >"$C/out/broken.csv" 2>"$C/out/broken.err"
same_rc "broken input" "$lrc" "$rc"
compare text "$OUT/linux/broken.csv" "$C/out/broken.csv" --map 'C:\Logs\broken'="$B"
compare text "$OUT/linux/broken.err" "$C/out/broken.err" --map 'C:\Logs\broken'="$B"
linux "$B/missing" 2>"$OUT/linux/missing.err"
lrc=$rc
win 'C:\Logs\broken\missing' 2>"$C/out/missing.err"
same_rc "a missing path alone" "$lrc" "$rc"
compare text "$OUT/linux/missing.err" "$C/out/missing.err" --map 'C:\Logs\broken'="$B"

echo "== -o report.xlsx and -o report.html, opened on Linux"
linux "$L" -o "$OUT/linux/report.xlsx" 2>/dev/null
win 'C:\Logs\sample' -o 'C:\out\report.xlsx' 2>/dev/null
compare xlsx "$OUT/linux/report.xlsx" "$C/out/report.xlsx" --map 'C:\Logs\sample'="$L"
linux "$L" -o "$OUT/linux/report.html" 2>/dev/null
win 'C:\Logs\sample' -o 'C:\out\report.html' 2>/dev/null
compare html "$OUT/linux/report.html" "$C/out/report.html" --map 'C:\Logs\sample'="$L"

echo "== README recipe 6 through cmd: two nights with --state, then one run's reports"
N=$C/Logs/nightly
rm -rf "$N" && cp -r sample-logs "$N"
# Night 1: the last log of each folder is still being written (cut in a line).
for dir in $(find "$N" -name '*.LOG' -printf '%h\n' | sort -u); do
  last=$(find "$dir" -maxdepth 1 -name '*.LOG' ! -name '* *' | sort | tail -1)
  cp "$last" "$OUT/whole.log"
  head -c $(($(wc -c <"$last") / 2 + 7)) "$OUT/whole.log" >"$last"
done
printf '%s\r\n' '@echo off' 'set LOGS=C:\Logs\nightly' \
  'C:\exlog\exlog.exe %LOGS% --state C:\out\tls.exlog -o C:\out\tls.html 2>>C:\out\nightly.log' \
  'if errorlevel 1 exit /b' \
  'C:\exlog\exlog.exe %LOGS% --state C:\out\tls.exlog --by legacy -o C:\out\call-list.csv 2>>C:\out\nightly.log' \
  >"$C/out/nightly.cmd"
rm -f "$C/out/tls.exlog" "$C/out/nightly.log"
under_wine cmd /c 'C:\out\nightly.cmd'
[ "$rc" = 0 ] || { echo "  DIFFERENT: night 1: exit code $rc"; cat "$C/out/nightly.log"; exit 1; }
rm -rf "$N" && cp -r sample-logs "$N"
under_wine cmd /c 'C:\out\nightly.cmd'
[ "$rc" = 0 ] || { echo "  DIFFERENT: night 2: exit code $rc"; cat "$C/out/nightly.log"; exit 1; }
grep -q "nothing new since the last run" "$C/out/nightly.log" ||
  { echo "  DIFFERENT: the second run of night 2 did not say 'nothing new'"; exit 1; }
linux "$N" --by legacy -o "$OUT/linux/call-list.csv" 2>/dev/null
compare text "$OUT/linux/call-list.csv" "$C/out/call-list.csv" --map 'C:\Logs\nightly'="$N"
echo "  the nightly task's call list after two nights is one run's over all the logs"

echo "== a busy-server corpus of 100 MB (exlog-gen --seed 28)"
G=$C/Logs/busy
target/release/exlog-gen --out "$G" --size 100MB --seed 28 >/dev/null
linux "$G" -o "$OUT/linux/busy/" 2>"$OUT/linux/busy.err"
lrc=$rc
t=$SECONDS
win 'C:\Logs\busy' -o 'C:\out\busy\' 2>"$C/out/busy.err"
echo "  exlog.exe under Wine: $((SECONDS - t)) s"
same_rc "busy corpus" "$lrc" "$rc"
compare dir "$OUT/linux/busy" "$C/out/busy" --map 'C:\Logs\busy'="$G"
compare text "$OUT/linux/busy.err" "$C/out/busy.err" --map 'C:\Logs\busy'="$G"
rm -rf "$G"

echo "windows-check: exlog.exe and exlog agree on everything above ($((SECONDS - started)) s)"
