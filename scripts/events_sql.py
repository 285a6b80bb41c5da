#!/usr/bin/env python3
"""DuckDB over exlog's --events Parquet: the DuckDB SQL of docs/scale-out.md
(its connector, remote and day queries and each server's readiness
numbers) run over the events and compared row for row with exlog's own CSV.

    python3 scripts/events_sql.py EVENTS CONNECTOR.csv REMOTE.csv DAY.csv [READINESS.csv] [--doc FILE]

EVENTS is the Parquet file or a folder of them (--events DIR/). Every
statement of the doc's DuckDB block runs as written, with the events' path
replaced; each query is matched to the report whose header its columns
are (readiness: `server` and columns of the readiness report, compared
with exlog's `server` rows: SMTP logs only, as exlog's window also ends at
a server's latest IIS record; default 14-day window). A report given that
no query matches is a failure. Exits 1 on any difference, naming the
report and the first rows that differ. scripts/doc_sql.py runs the same
block, and the Spark one, over a corpus that crosses the window's start.
"""
import argparse
import csv
import os
import sys

import duckdb

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts for doc_sql
from doc_sql import DOC_NAME, PATH_LITERAL, ROOT, Mismatch, is_query, sql_block, statements  # noqa: E402


# The readiness query's columns, in its order.
READINESS_COLS = ["server", "status", "sessions", "negotiations", "legacy_sessions",
                  "legacy_remotes", "plaintext_sessions", "last_legacy"]


def readiness_of_csv(path):
    """exlog's server rows of the readiness report, in the SQL's columns."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["scope"] == "server"]
    cols = READINESS_COLS
    return cols, sorted(tuple(r[c] for c in cols) for r in rows)


def cell(v):
    """A value as exlog's CSV writes it (booleans as true/false)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def rows_of_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f)
        header = next(r)
        return header, sorted(tuple(row) for row in r)


def doc_statements(doc_path, source):
    """The doc's DuckDB statements, the events' path replaced by source."""
    with open(doc_path, encoding="utf-8") as f:
        stmts = statements(sql_block(f.read(), "duckdb"))
    out, paths = [], 0
    for title, sql in stmts:
        placed, n = PATH_LITERAL["duckdb"].subn(lambda m: m[1] + source + m[3], sql)
        out.append((title, placed))
        paths += n
    if paths != 1:
        raise Mismatch(f"{doc_path}: the DuckDB block names the events' path {paths} times, not once")
    return out


def report_of(cols, wanted):
    """The name of the report (of those given) that a query's columns give."""
    for name, (header, _) in wanted.items():
        if cols == header:
            return name
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("events")
    p.add_argument("reports", nargs="+", metavar="CSV",
                   help="connector, remote and day reports, then optionally readiness")
    p.add_argument("--doc", default=os.path.join(ROOT, DOC_NAME))
    a = p.parse_args()
    names = ["connector", "remote", "day", "readiness"][:len(a.reports)]
    if len(a.reports) not in (3, 4):
        p.error("give CONNECTOR.csv REMOTE.csv DAY.csv [READINESS.csv]")
    wanted = {n: (readiness_of_csv if n == "readiness" else rows_of_csv)(path)
              for n, path in zip(names, a.reports)}
    source = os.path.join(a.events, "*.parquet") if os.path.isdir(a.events) else a.events
    try:
        stmts = doc_statements(a.doc, source)
    except Mismatch as e:
        print(f"events_sql: {e}")
        sys.exit(1)
    db = duckdb.connect()
    # Not UTC, so that the doc's own SET is what makes the times UTC.
    db.execute("SET TimeZone = 'America/New_York'")
    failed, seen = False, set()
    for title, sql in stmts:
        cur = db.execute(sql)
        if not is_query(sql):
            continue
        cols = [d[0] for d in cur.description]
        name = report_of(cols, wanted)
        if name is None:
            continue
        seen.add(name)
        got = sorted(tuple(cell(v) for v in row) for row in cur.fetchall())
        want = wanted[name][1]
        if got != want:
            extra = [r for r in got if r not in set(want)][:3]
            missing = [r for r in want if r not in set(got)][:3]
            print(f"{name} ({title!r}): {len(got)} rows from SQL, {len(want)} from exlog")
            print(f"  only in SQL:   {extra}")
            print(f"  only in exlog: {missing}")
            failed = True
        else:
            print(f"{name}: {len(got)} rows, the same")
    for name in wanted:
        if name not in seen:
            print(f"{name}: no query of {a.doc}'s DuckDB block gives this report")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
