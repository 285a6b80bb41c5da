#!/usr/bin/env python3
"""The peer a DBA would write: DuckDB SQL over the raw logs computing
exlog's connector and remote reports. Used by scripts/bench.sh for timing
and as an independent check of exlog's numbers.

    python3 scripts/duckdb_tally.py DIR [connector|remote|both] [GLOB]

GLOB is the file pattern under DIR (default *.LOG; *.LOG.gz reads the
gzipped files, which DuckDB decompresses by their extension).
"""
import sys

import duckdb

root = sys.argv[1].rstrip("/")
which = sys.argv[2] if len(sys.argv) > 2 else "both"
glob = sys.argv[3] if len(sys.argv) > 3 else "*.LOG"
cols = ", ".join(f"'{c}': 'VARCHAR'" for c in
                 ["date-time", "connector-id", "session-id", "sequence-number", "local-endpoint",
                  "remote-endpoint", "event", "data", "context"])
BASE = f"""
WITH t AS (
  SELECT CASE WHEN regexp_matches(filename, '(^|[/\\\\])SEND[^/\\\\]*$', 'i') THEN 'send' ELSE 'receive' END AS direction,
         "connector-id" AS connector, "remote-endpoint" AS rep, "date-time" AS ts, context,
         split_part(context, ' ', 3) AS tok
  FROM read_csv('{root}/**/{glob}', columns={{{cols}}}, header=false, comment='#', delim=',', skip=1, auto_detect=false,
                quote='"', escape='"', filename=true, ignore_errors=true, strict_mode=false)
  WHERE event = '*' AND (context LIKE 'TLS protocol %negotiation succeeded%'
                         OR context LIKE 'TLS negotiation failed with error %')
), v AS (
  SELECT direction, connector, ts,
         regexp_replace(regexp_replace(rep, ':[0-9]+$', ''), '^\\[|\\]$', '', 'g') AS ip,
         CASE WHEN context LIKE 'TLS negotiation failed%' THEN 'failed'
              WHEN contains(tok, 'SSL2') OR tok IN ('4', '8') THEN 'SSL2'
              WHEN contains(tok, 'SSL3') OR tok IN ('16', '32') THEN 'SSL3'
              WHEN contains(tok, 'TLS1_0') OR tok IN ('64', '128') THEN 'TLS1.0'
              WHEN contains(tok, 'TLS1_1') OR tok IN ('256', '512') THEN 'TLS1.1'
              WHEN contains(tok, 'TLS1_2') OR tok IN ('1024', '2048') THEN 'TLS1.2'
              WHEN contains(tok, 'TLS1_3') OR tok IN ('4096', '8192') THEN 'TLS1.3'
              ELSE 'other' END AS version
  FROM t
)
"""
COUNTS = ", ".join(f"count(*) FILTER (version = '{v}') AS \"{v}\"" for v in
                   ["SSL2", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other", "failed"])
con = duckdb.connect()
if which in ("both", "connector"):
    rows = con.sql(BASE + f"SELECT direction, connector, {COUNTS}, count(*) AS total FROM v GROUP BY ALL ORDER BY ALL").fetchall()
    print("connector", len(rows))
    for r in rows:
        print(",".join(str(x) for x in r))
if which in ("both", "remote"):
    rows = con.sql(BASE + f"SELECT direction, ip, {COUNTS}, count(*) AS total, min(ts), max(ts) FROM v GROUP BY ALL ORDER BY ALL").fetchall()
    print("remote", len(rows))
    for r in rows:
        print(",".join(str(x) for x in r))
