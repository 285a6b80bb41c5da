#!/usr/bin/env python3
"""DuckDB over exlog's --events Parquet: the connector, remote and day
reports computed in SQL, compared row for row with exlog's own CSV.

    python3 scripts/events_sql.py EVENTS CONNECTOR.csv REMOTE.csv DAY.csv [READINESS.csv]

EVENTS is the Parquet file or a folder of them (--events DIR/). With
READINESS.csv, also each server's readiness numbers and status (SMTP logs
only: exlog's window also ends at a server's latest IIS record; default
14-day window). Exits 1 on any difference, naming the report and the
first rows that differ. The SQL is the README's ("More than one
machine"); keep the two the same.
"""
import csv
import os
import sys

import duckdb

VERSIONS = ["SSL2", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other"]
BY_VERSION = ",\n  ".join(
    f"count(*) FILTER (WHERE tls_version = '{v}') AS \"{v}\"" for v in VERSIONS
)

CONNECTOR = f"""
SELECT direction, connector,
  {BY_VERSION},
  count(error) AS failed,
  count(tls_version) + count(error) AS total,
  count(*) FILTER (WHERE class = 'plaintext') AS plaintext
FROM events
GROUP BY direction, connector
ORDER BY direction, connector
"""

REMOTE = f"""
WITH names AS (
  SELECT direction, remote_ip, ehlo,
    row_number() OVER (PARTITION BY direction, remote_ip
                       ORDER BY count(*) DESC, ehlo) AS rank
  FROM events
  WHERE class <> 'tls_line' AND ehlo IS NOT NULL
  GROUP BY direction, remote_ip, ehlo
)
SELECT e.direction, e.remote_ip,
  {BY_VERSION},
  count(error) AS failed,
  count(tls_version) + count(error) AS total,
  coalesce(strftime(min(tls_time), '%Y-%m-%dT%H:%M:%S.%gZ'), '') AS first_seen,
  coalesce(strftime(max(tls_time), '%Y-%m-%dT%H:%M:%S.%gZ'), '') AS last_seen,
  count(*) FILTER (WHERE class = 'plaintext') AS plaintext,
  count(*) FILTER (WHERE class <> 'tls_line') AS sessions,
  coalesce(max(n.ehlo), '') AS ehlo
FROM events e
LEFT JOIN names n
  ON n.direction = e.direction AND n.remote_ip = e.remote_ip AND n.rank = 1
GROUP BY e.direction, e.remote_ip
ORDER BY e.direction, e.remote_ip
"""

DAY = f"""
WITH days AS (
  SELECT strftime(tls_time, '%Y-%m-%d') AS date, direction, tls_version, error,
    0 AS plain
  FROM events WHERE tls_time IS NOT NULL
  UNION ALL
  SELECT strftime(start, '%Y-%m-%d'), direction, NULL, NULL, 1
  FROM events WHERE class = 'plaintext'
)
SELECT date, direction,
  {BY_VERSION},
  count(error) AS failed,
  sum(plain) AS plaintext,
  count(tls_version) + count(error) AS total
FROM days
GROUP BY date, direction
ORDER BY date, direction
"""


LEGACY = "('SSL2', 'SSL3', 'TLS1.0', 'TLS1.1')"
READINESS = f"""
WITH bounds AS (
  SELECT server, min(start) AS first_record, max("end") AS last_record,
    date_trunc('day', max("end")) - INTERVAL 13 DAY AS window_from
  FROM events GROUP BY server
),
w AS (SELECT * FROM events JOIN bounds USING (server))
SELECT server,
  CASE
    WHEN count(*) FILTER (WHERE tls_time >= window_from AND tls_version IN {LEGACY}) > 0
      THEN 'not_ready'
    WHEN min(first_record) <= min(window_from)
      AND count(*) FILTER (WHERE tls_time >= window_from
                             AND tls_version IN ('TLS1.2', 'TLS1.3')) > 0
      THEN 'ready'
    ELSE 'insufficient_data'
  END AS status,
  count(*) FILTER (WHERE class <> 'tls_line' AND start >= window_from) AS sessions,
  count(*) FILTER (WHERE tls_time >= window_from
                     AND (tls_version IS NOT NULL OR error IS NOT NULL)) AS negotiations,
  count(DISTINCT (log_folder, session_id, start))
    FILTER (WHERE tls_time >= window_from AND tls_version IN {LEGACY}) AS legacy_sessions,
  count(DISTINCT remote_ip)
    FILTER (WHERE tls_time >= window_from AND tls_version IN {LEGACY}) AS legacy_remotes,
  count(*) FILTER (WHERE class = 'plaintext' AND start >= window_from) AS plaintext_sessions,
  coalesce(strftime(max(tls_time) FILTER (WHERE tls_version IN {LEGACY}),
                    '%Y-%m-%dT%H:%M:%S.%gZ'), '') AS last_legacy
FROM w
GROUP BY server
ORDER BY server
"""


def readiness_of_csv(path):
    """exlog's server rows of the readiness report, in the SQL's columns."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["scope"] == "server"]
    cols = ["server", "status", "sessions", "negotiations", "legacy_sessions",
            "legacy_remotes", "plaintext_sessions", "last_legacy"]
    return cols, sorted(tuple(r[c] for c in cols) for r in rows)


def rows_of_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f)
        header = next(r)
        return header, sorted(tuple(row) for row in r)


def main():
    events, reports = sys.argv[1], sys.argv[2:6]
    source = os.path.join(events, "*.parquet") if os.path.isdir(events) else events
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{source}')")
    failed = False
    checks = zip(["connector", "remote", "day", "readiness"],
                 [CONNECTOR, REMOTE, DAY, READINESS], reports)
    for name, sql, path in checks:
        read = readiness_of_csv if name == "readiness" else rows_of_csv
        header, want = read(path)
        cur = db.execute(sql)
        cols = [d[0] for d in cur.description]
        got = sorted(tuple("" if v is None else str(v) for v in row) for row in cur.fetchall())
        if cols != header:
            print(f"{name}: columns {cols} != {header}")
            failed = True
            continue
        if got != want:
            extra = [r for r in got if r not in set(want)][:3]
            missing = [r for r in want if r not in set(got)][:3]
            print(f"{name}: {len(got)} rows from SQL, {len(want)} from exlog")
            print(f"  only in SQL:   {extra}")
            print(f"  only in exlog: {missing}")
            failed = True
        else:
            print(f"{name}: {len(got)} rows, the same")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
