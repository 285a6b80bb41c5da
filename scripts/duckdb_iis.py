#!/usr/bin/env python3
"""The peer for IIS logs: DuckDB SQL over u_ex*.log files computing exlog's
http-app report (requests per site, server and application by TLS version)
and http-client report. Used by scripts/bench.sh (IIS=1) for timing and as
an independent check of exlog's numbers.

    python3 scripts/duckdb_iis.py DIR [app|client|both]

DIR holds SERVER/W3SVCn/u_ex*.log. Every file must use the one layout of
exlog-gen --iis-one-layout (DuckDB reads one schema per file; a #Fields:
change mid-file is what exlog handles and this script does not).
"""
import sys

import duckdb

root = sys.argv[1].rstrip("/")
which = sys.argv[2] if len(sys.argv) > 2 else "both"
names = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
         "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken "
         "crypt-protocol crypt-cipher crypt-hash crypt-keyexchange OriginalClientIP").split()
cols = ", ".join(f"'{c}': 'VARCHAR'" for c in names)
APPS = ["/owa", "/ecp", "/Microsoft-Server-ActiveSync", "/EWS", "/autodiscover",
        "/mapi", "/rpc", "/oab", "/powershell"]
app_case = "CASE " + " ".join(
    f"WHEN lower(first) = '{a.lower()}' THEN '{a}'" for a in APPS) + " ELSE 'other' END"
BASE = f"""
WITH t AS (
  SELECT regexp_extract(filename, '([^/]+)/[^/]+$', 1) AS site,
         regexp_extract(filename, '([^/]+)/[^/]+/[^/]+$', 1) AS server,
         "cs-uri-stem" AS stem, "cs-username" AS usr, "cs(User-Agent)" AS ua,
         date, time,
         CASE WHEN "OriginalClientIP" <> '-' THEN "OriginalClientIP" ELSE "c-ip" END AS ip,
         CASE "crypt-protocol"
              WHEN '-' THEN NULL
              WHEN '10' THEN 'SSL3' WHEN '20' THEN 'SSL3'
              WHEN '40' THEN 'TLS1.0' WHEN '80' THEN 'TLS1.0'
              WHEN '100' THEN 'TLS1.1' WHEN '200' THEN 'TLS1.1'
              WHEN '400' THEN 'TLS1.2' WHEN '800' THEN 'TLS1.2'
              WHEN '1000' THEN 'TLS1.3' WHEN '2000' THEN 'TLS1.3'
              ELSE 'other' END AS version,
         CASE WHEN position('/' IN substr("cs-uri-stem", 2)) > 0
              THEN substr("cs-uri-stem", 1, position('/' IN substr("cs-uri-stem", 2)))
              ELSE "cs-uri-stem" END AS first
  FROM read_csv('{root}/*/*/u_ex*.log', columns={{{cols}}}, header=false, comment='#',
                delim=' ', quote='', escape='', auto_detect=false, filename=true)
)
"""
COUNTS = ", ".join(f"count(*) FILTER (version = '{v}') AS \"{v}\"" for v in
                   ["SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other"])
con = duckdb.connect()
if which in ("both", "app"):
    rows = con.sql(BASE + f"SELECT site, server, {app_case} AS application, {COUNTS}, count(*) AS requests "
                   "FROM t GROUP BY ALL ORDER BY ALL").fetchall()
    print("http-app", len(rows))
    for r in rows:
        print(",".join(str(x) for x in r))
if which in ("both", "client"):
    rows = con.sql(BASE + f"SELECT site, server, ip, ua, {COUNTS}, count(*) AS requests, "
                   "count(DISTINCT usr) FILTER (usr <> '-') AS users, min(date || ' ' || time), max(date || ' ' || time) "
                   "FROM t GROUP BY ALL ORDER BY ALL").fetchall()
    print("http-client", len(rows))
    for r in rows:
        print(",".join(str(x) for x in r))
