#!/usr/bin/env python3
"""DuckDB over exlog's --events Parquet: the connector, remote and day
reports computed in SQL, compared row for row with exlog's own CSV.

    python3 scripts/events_sql.py EVENTS CONNECTOR.csv REMOTE.csv DAY.csv

EVENTS is the Parquet file or a folder of them (--events DIR/). Exits 1 on
any difference, naming the report and the first rows that differ. The SQL
is the README's ("More than one machine"); keep the two the same.
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
  coalesce(any_value(n.ehlo), '') AS ehlo
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


def rows_of_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f)
        header = next(r)
        return header, sorted(tuple(row) for row in r)


def main():
    events, reports = sys.argv[1], sys.argv[2:5]
    source = os.path.join(events, "*.parquet") if os.path.isdir(events) else events
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{source}')")
    failed = False
    for name, sql, path in zip(["connector", "remote", "day"], [CONNECTOR, REMOTE, DAY], reports):
        header, want = rows_of_csv(path)
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
