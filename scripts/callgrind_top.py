#!/usr/bin/env python3
"""The costliest functions of a callgrind run, by self cost.

    callgrind_top.py ANNOTATION N ROWS

ANNOTATION is `callgrind_annotate --inclusive=no --threshold=100` output.
callgrind_annotate splits a function by source file (code inlined from
another file, such as `uint_macros.rs`, is a line of its own); here the
lines are summed by function, so inlined code counts for the function it
was inlined into. Prints the N costliest with their share of the program's
total and their instructions per row (ROWS: the slice's data rows).
"""
import re
import sys

ROW = re.compile(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[[^\]]*\])?$")


def number(text):
    return int(text.replace(",", ""))


def main():
    path, n, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    total, cost, listing = None, {}, False
    with open(path) as f:
        for line in f:
            m = ROW.match(line)
            if not m:
                listing = listing or line.startswith("Ir") and "file:function" in line
                continue
            if m.group(2) == "PROGRAM TOTALS":
                total = number(m.group(1))
            elif listing:
                # "file:function": file names hold no colon, functions do.
                name = m.group(2).split(":", 1)[1]
                cost[name] = cost.get(name, 0) + number(m.group(1))
    if not total or not cost:
        sys.exit(f"callgrind_top.py: {path}: no PROGRAM TOTALS or no function rows")
    for name, ir in sorted(cost.items(), key=lambda kv: (-kv[1], kv[0]))[:n]:
        print(f"{ir:>13,} {100 * ir / total:5.2f}% {ir / rows:7.1f}/row  {name[:110]}")


main()
