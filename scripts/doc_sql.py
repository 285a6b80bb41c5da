#!/usr/bin/env python3
"""The SQL of docs/scale-out.md for exlog's --events Parquet, run as the doc
gives it (only the events' path replaced) and compared with exlog's own
reports.

    cargo build --release --workspace
    python3 scripts/doc_sql.py [duckdb] [spark] [--doc FILE]   (default: both)

Generates a corpus of several servers with target/release/exlog-gen, runs
target/release/exlog on it for the connector, remote, day and readiness
reports as CSV with --events DIR/ (one Parquet file per server), then runs
every statement of the doc's SQL block for each engine: the DuckDB block (the
one that reads `read_parquet(`) with the duckdb package, the Spark block (the
one that creates the view `USING parquet`) with PySpark in local mode.

Each query is matched to a report by the columns it returns: one that
returns a report's exact header must give that report byte for byte;
readiness queries return `server` and some of the readiness report's
columns, compared by name with exlog's `server` rows (the status only where
exlog says not_ready: exlog's other statuses also weigh the coverage of
connectors and days, which the events cannot show). A query no report
matches, or a report no query gives, is a failure. Exits 1 on any
difference, naming the query and the first lines that differ.
"""
import argparse
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The file whose ```sql blocks are run, relative to ROOT.
DOC_NAME = os.path.join("docs", "scale-out.md")

# How each engine's block is found in the doc, and where its path is.
BLOCK_MARKER = {"duckdb": "read_parquet(", "spark": "USING parquet"}
PATH_LITERAL = {
    "duckdb": re.compile(r"(read_parquet\(')([^']*)(')"),
    "spark": re.compile(r"(\bpath ')([^']*)(')"),
}
# Reports compared whole, and the one compared by column name (its rows
# with this scope, keyed by this column).
EXACT_REPORTS = ["connector", "remote", "day"]
BY_NAME = {"readiness": ("scope", "server", "server")}


class Mismatch(Exception):
    pass


def sql_block(doc, engine):
    """The one ```sql block of the doc that holds the engine's marker."""
    blocks = re.findall(r"^```sql\n(.*?)^```", doc, re.M | re.S)
    found = [b for b in blocks if BLOCK_MARKER[engine] in b]
    if len(found) != 1:
        raise Mismatch(f"{DOC_NAME}: {len(found)} SQL blocks hold "
                       f"{BLOCK_MARKER[engine]!r}, not one")
    return found[0]


def statements(block):
    """(title, sql) for each statement; the title is its comment."""
    out = []
    for text in re.split(r";[ \t]*$", block, flags=re.M):
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        code = [ln for ln in lines if not ln.lstrip().startswith("--")]
        if not code:
            continue
        comments = [ln.strip("- ") for ln in lines if ln.lstrip().startswith("--")]
        out.append((" ".join(comments) or code[0].strip(), "\n".join(lines)))
    return out


def is_query(sql):
    code = [ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")]
    return re.match(r"\s*(SELECT|WITH)\b", "\n".join(code), re.I) is not None


def point_at(sql, engine, events):
    """The doc's statement with the events' path replaced by `events`."""
    path = os.path.join(events, "**", "*.parquet") if engine == "duckdb" else events
    new, n = PATH_LITERAL[engine].subn(lambda m: m[1] + path + m[3], sql)
    return new, n


def run_duckdb(stmts, events):
    import duckdb

    db = duckdb.connect()
    # Not UTC, so that the doc's own SET is what makes the times UTC.
    db.execute("SET TimeZone = 'America/New_York'")
    yield f"duckdb {duckdb.__version__}"
    for title, sql in stmts:
        try:
            cur = db.execute(sql)
        except duckdb.Error as e:
            raise Mismatch(f"duckdb: {title!r}: {e}")
        if is_query(sql):
            yield title, [d[0] for d in cur.description], cur.fetchall()


def run_spark(stmts, events):
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    # Local mode: no need to look for the machine's address on the network.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master("local[2]").appName("exlog doc_sql")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "4")
             # Not UTC, so that the doc's own SET is what makes them UTC.
             .config("spark.sql.session.timeZone", "America/New_York")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield f"spark {spark.version}"
        for title, sql in stmts:
            try:
                df = spark.sql(sql)
                rows = [tuple(r) for r in df.collect()] if is_query(sql) else None
            except PySparkException as e:
                raise Mismatch(f"spark: {title!r}: {str(e).splitlines()[0]}")
            if rows is not None:
                yield title, df.columns, rows
    finally:
        spark.stop()


def cell(v):
    """A value as exlog's CSV writes it (booleans as true/false)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def as_csv(cols, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    w.writerows([cell(v) for v in r] for r in rows)
    return out.getvalue()


def first_difference(got, want):
    g, w = got.splitlines(), want.splitlines()
    for i, (a, b) in enumerate(zip(g, w)):
        if a != b:
            return f"line {i + 1}: SQL {a!r}, exlog {b!r}"
    return f"SQL {len(g)} lines, exlog {len(w)}"


def compare_exact(name, cols, rows, want):
    got = as_csv(cols, rows)
    if got != want:
        raise Mismatch(f"{name}: {first_difference(got, want)}")
    return f"{len(rows)} rows, byte for byte"


def compare_by_name(name, cols, rows, want):
    scope_col, scope, key = BY_NAME[name]
    table = list(csv.DictReader(io.StringIO(want)))
    exlog = {r[key]: r for r in table if r[scope_col] == scope}
    got = {r[key]: r for r in (dict(zip(cols, map(cell, row))) for row in rows)}
    if sorted(got) != sorted(exlog):
        raise Mismatch(f"{name}: {key}s {sorted(got)} from SQL, {sorted(exlog)} from exlog")
    for k, g in got.items():
        for col, value in g.items():
            expected = exlog[k][col]
            if col == "status" and expected != "not_ready":
                continue
            if value != expected:
                raise Mismatch(f"{name}: {key} {k}, {col}: SQL {value!r}, exlog {expected!r}")
    return f"{len(rows)} {key} rows, {len(cols)} columns by name"


def compare(title, cols, rows, reports):
    """Which report the query gives (by its columns), and the comparison."""
    for name in EXACT_REPORTS:
        header = next(csv.reader(io.StringIO(reports[name])))
        if cols == header:
            return name, compare_exact(name, cols, rows, reports[name])
    for name, (_, _, key) in BY_NAME.items():
        header = next(csv.reader(io.StringIO(reports[name])))
        if key in cols and set(cols) <= set(header):
            return name, compare_by_name(name, cols, rows, reports[name])
    raise Mismatch(f"query {title!r} returns {cols}: no exlog report has these columns")


def check(engine, doc, events, reports):
    stmts = statements(sql_block(doc, engine))
    placed = [(t, *point_at(s, engine, events)) for t, s in stmts]
    paths = sum(n for _, _, n in placed)
    if paths != 1:
        raise Mismatch(f"{DOC_NAME}: the {engine} block names the events' path "
                       f"{paths} times, not once")
    runner = run_duckdb if engine == "duckdb" else run_spark
    results = runner([(t, s) for t, s, _ in placed], events)
    began = time.monotonic()
    print(f"{engine}: {next(results)}, {len(stmts)} statements from {DOC_NAME} "
          f"({time.monotonic() - began:.0f} s to start)", flush=True)
    seen = set()
    for title, cols, rows in results:
        name, said = compare(title, cols, rows, reports)
        seen.add(name)
        print(f"  {title!r}: the {name} report, {said} ({time.monotonic() - began:.0f} s)",
              flush=True)
    missing = [n for n in [*EXACT_REPORTS, *BY_NAME] if n not in seen]
    if missing:
        raise Mismatch(f"the {engine} block has no query for the {', '.join(missing)} report")


# Two generated corpora of the same servers in one tree: the larger at the
# generator's default start (2024-03-04T00:59:30Z), so that each server's
# readiness window starts 2024-02-20T00:00Z; the smaller starting two
# minutes before that midnight, so that its sessions fall on both sides of
# the window's start. (seed, share of the size, first session)
CORPORA = [(29, 2 / 3, None), (30, 1 / 3, 1_708_387_080_000)]


def generate(release, logs, size, servers):
    """The corpora of CORPORA, merged into one tree of servers under logs."""
    for seed, share, start in CORPORA:
        out = os.path.join(logs + ".parts", str(seed))
        args = [os.path.join(release, "exlog-gen"), "--out", out, "--size",
                f"{int(size * share)}", "--servers", str(servers), "--seed", str(seed),
                "--file-size", "4MB"]
        args += ["--start-ms", str(start)] if start else []
        run(args)
        for server in sorted(os.listdir(out)):
            if os.path.isdir(os.path.join(out, server)):
                shutil.copytree(os.path.join(out, server), os.path.join(logs, server),
                                dirs_exist_ok=True)


def run(args):
    """The command's output; its stderr in the failure when it fails."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, encoding="utf-8")
    except OSError as e:
        raise Mismatch(f"{args[0]}: {e} (cargo build --release --workspace first)")
    if done.returncode != 0:
        raise Mismatch(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def exlog(release, logs, report, *more):
    return run([os.path.join(release, "exlog"), logs, "--by", report, "--format", "csv", *more])


def exlog_reports(work, size, servers):
    """A generated corpus, its events (one file per server) and reports."""
    release = os.path.join(ROOT, "target", "release")
    logs, events = os.path.join(work, "logs"), os.path.join(work, "events")
    generate(release, logs, size, servers)
    reports = {name: exlog(release, logs, name) for name in [*EXACT_REPORTS, *BY_NAME]}
    exlog(release, logs, "connector", "--events", events + os.sep)
    files = sorted(f for f in os.listdir(events) if f.endswith(".parquet"))
    if len(files) != servers:
        raise Mismatch(f"{events}: {files}, not one Parquet file for each of {servers} servers")
    # The corpus must cross the window's start, or the SQL's window is untried.
    days = {r["date"] for r in csv.DictReader(io.StringIO(reports["day"]))}
    starts = {r["window_from"][:10] for r in csv.DictReader(io.StringIO(reports["readiness"]))
              if r["scope"] == "server"}
    if len(starts) != 1 or min(days) >= min(starts) or min(starts) not in days:
        raise Mismatch(f"the corpus does not cross the readiness window's start: "
                       f"days {sorted(days)}, windows from {sorted(starts)}")
    return events, reports


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("engines", nargs="*", metavar="duckdb|spark")
    p.add_argument("--doc", default=os.path.join(ROOT, DOC_NAME),
                   help=f"the Markdown file that holds the SQL (default: {DOC_NAME})")
    p.add_argument("--size", type=int, default=30_000_000, help="bytes of logs")
    p.add_argument("--servers", type=int, default=3)
    a = p.parse_args()
    for e in a.engines:
        if e not in BLOCK_MARKER:
            p.error(f"unknown engine {e!r}: duckdb or spark")
    with open(a.doc, encoding="utf-8") as f:
        doc = f.read()
    with tempfile.TemporaryDirectory() as work:
        try:
            events, reports = exlog_reports(work, a.size, a.servers)
            for engine in a.engines or list(BLOCK_MARKER):
                check(engine, doc, events, reports)
        except Mismatch as e:
            print(f"doc_sql: {e}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
