#!/usr/bin/env python3
"""Runs a command and samples /proc/PID/status every millisecond: peak
RssAnon (memory the process owns: heap, stacks) and peak RssFile (pages of
mapped files that are resident, shared with the page cache). /usr/bin/time
reports their sum, which counts memory-mapped log pages as if exlog held them.

    python3 scripts/peak_mem.py CMD ARGS... > /dev/null
"""
import subprocess
import sys
import time

proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
peak = {"RssAnon": 0, "RssFile": 0, "VmHWM": 0}
while proc.poll() is None:
    try:
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                key = line.split(":")[0]
                if key in peak:
                    peak[key] = max(peak[key], int(line.split()[1]))
    except (FileNotFoundError, ProcessLookupError, ValueError):
        break
    time.sleep(0.001)
print(f"peak RssAnon {peak['RssAnon'] / 1024:.1f} MiB, peak RssFile {peak['RssFile'] / 1024:.1f} MiB, "
      f"VmHWM {peak['VmHWM'] / 1024:.1f} MiB, exit {proc.returncode}")
