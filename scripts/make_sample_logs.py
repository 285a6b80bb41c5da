#!/usr/bin/env python3
"""Writes sample-logs/: a small, realistic Exchange log folder for the README.

Two servers: EX01 (Exchange 2019, hourly file names, single-row EHLO reply
and certificate rows) and EX02 (older build, daily file names, multi-line
EHLO replies, multi-row certificates, CALG_ECDHE). On disk as Exchange
writes it: UTF-8 BOM, the 5-line header, CRLF. Sessions interleave and one
crosses an hourly rollover. Deterministic: run it again, get the same bytes.

    python3 scripts/make_sample_logs.py [OUT_DIR]

It also writes OUT_DIR/truth.json: the rows of exlog's connector, remote,
cipher, failure and day reports, computed here from the sessions it made
(not by reading the logs), so a test can hold exlog to them. exlog does not
read truth.json: its name is not RECV*.LOG or SEND*.LOG.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "sample-logs")
rng = random.Random(20240308)

FIELDS = "date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context"


def q(field):
    if "," in field or '"' in field:
        return '"' + field.replace('"', '""') + '"'
    return field


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def tls_line(proto, cipher, cbits, hsh, hbits, kx, kbits):
    return (f"TLS protocol {proto} negotiation succeeded using bulk encryption algorithm {cipher} "
            f"with strength {cbits} bits, MAC hash algorithm {hsh} with strength {hbits} bits and "
            f"key exchange algorithm {kx} with strength {kbits} bits")


GCM12 = ("CALG_AES_256", 256, "CALG_SHA_384", 0, "CALG_ECDH_EPHEM", 384)
GCM12_128 = ("CALG_AES_128", 128, "CALG_SHA_256", 0, "CALG_ECDH_EPHEM", 256)
CBC12 = ("CALG_AES_256", 256, "CALG_SHA_384", 384, "CALG_ECDHE", 384)
CBC10 = ("CALG_AES_256", 256, "CALG_SHA1", 160, "CALG_ECDHE", 256)
CBC10_128 = ("CALG_AES_128", 128, "CALG_SHA1", 160, "CALG_RSA_KEYX", 2048)
DES3 = ("CALG_3DES", 168, "CALG_SHA1", 160, "CALG_RSA_KEYX", 2048)
RC4 = ("CALG_RC4", 128, "CALG_MD5", 128, "CALG_RSA_KEYX", 1024)


class Session:
    """Rows of one SMTP session: (time, event, data, context)."""

    def __init__(self, sid, connector, local, remote, start):
        self.sid, self.connector, self.local, self.remote = sid, connector, local, remote
        self.t = start
        self.rows = []
        # What the truth needs: set by receive() and send().
        self.direction = self.ip = self.outcome = self.proto = self.suite = self.error = self.name = None
        self.tls_time = None

    def row(self, event, data="", context="", gap_ms=None, local=None):
        self.t += timedelta(milliseconds=gap_ms if gap_ms is not None else rng.randint(1, 400))
        self.rows.append((self.t, event, data, context, self.local if local is None else local))

    def lines(self):
        out = []
        for seq, (t, event, data, context, local) in enumerate(self.rows):
            out.append((t, ",".join([ts(t), q(self.connector), self.sid, str(seq), local,
                                     self.remote, event, q(data), q(context)])))
        return out


def single_cert(kind, subject, issuer, sans):
    serial = "%032X" % rng.getrandbits(128)
    thumb = "%040X" % rng.getrandbits(160)
    data = f" {subject} {issuer} {serial} {thumb} 2023-06-01T00:00:00.000Z 2025-06-01T00:00:00.000Z {sans}"
    return data, f"{kind} Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names"


def multi_cert(s, kind, subject, issuer, sans):
    s.row("*", "", kind, 0)
    s.row("*", subject, "Certificate subject", 0)
    s.row("*", issuer, "Certificate issuer name", 0)
    s.row("*", "%032X" % rng.getrandbits(128), "Certificate serial number", 0)
    s.row("*", "%040X" % rng.getrandbits(160), "Certificate thumbprint", 0)
    s.row("*", sans, "Certificate alternate names", 0)


def receive(srv, sid, start, ip, ehlo, outcome, proto=None, suite=None, new_shape=True, error=None,
            connector="Default Frontend", port=25, auth=None, sender=None):
    """A receive session (FrontEnd :25 unless told). outcome: tls | failed | plain | idle (EHLO, then QUIT)
    | refused (MAIL FROM without STARTTLS, answered 530 5.7.0). auth: AUTH LOGIN as this user first;
    sender: the MAIL FROM address (else a random user at the EHLO's domain)."""
    s = Session(sid, f"{srv}\\{connector} {srv}", "10.0.0.%d:%d" % (10 + int(srv[2:]), port),
                f"[{ip}]:{rng.randint(1025, 65535)}" if ":" in ip else f"{ip}:{rng.randint(1025, 65535)}", start)
    host = f"{srv}.contoso.com"
    s.direction, s.ip, s.outcome, s.proto, s.suite, s.error, s.name = "receive", ip, outcome, proto, suite, error, ehlo
    s.srv, s.port, s.auth, s.senders, s.cert = srv, port, auth, [], None
    s.row("+", gap_ms=0)
    s.row("*", "None", "Set Session Permissions", 0)
    s.row(">", f"220 {host} Microsoft ESMTP MAIL Service ready at {start.strftime('%a, %d %b %Y %H:%M:%S')} +0000")
    s.row("<", f"EHLO {ehlo}")
    caps = ["SIZE 37748736", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "X-ANONYMOUSTLS",
            "AUTH NTLM", "X-EXPS GSSAPI NTLM", "8BITMIME", "BINARYMIME", "CHUNKING", "XRDST"]

    def ehlo_reply(with_tls):
        c = [x for x in caps if with_tls or x not in ("STARTTLS", "X-ANONYMOUSTLS")]
        if new_shape:
            s.row(">", f"250  {host} Hello [{ip}] " + " ".join(c), gap_ms=1)
        else:
            s.row(">", f"250-{host} Hello [{ip}]", gap_ms=1)
            for x in c[:-1]:
                s.row(">", f"250-{x}", gap_ms=0)
            s.row(">", f"250 {c[-1]}", gap_ms=0)

    ehlo_reply(True)
    if outcome in ("tls", "failed"):
        s.row("<", "STARTTLS")
        s.row(">", "220 2.0.0 SMTP server ready", gap_ms=0)
        if new_shape:
            data, ctx = single_cert("Sending certificate", f"CN={host}", "CN=Contoso-Issuing-CA", f"{host};mail.contoso.com")
            s.row("*", data, ctx, 0)
        else:
            multi_cert(s, "Sending certificate", f"CN={host}", "CN=Contoso-Issuing-CA, DC=contoso, DC=com",
                       f"{host};mail.contoso.com")
        if outcome == "failed":
            s.row("*", "", f"TLS negotiation failed with error {error}")
            s.tls_time = s.t
            s.row("-", "", "DroppedSession", 0)
            return s
        s.row("*", "", tls_line(proto, *suite))
        s.tls_time = s.t
        s.row("<", f"EHLO {ehlo}")
        s.row("*", "", "Client certificate chain validation status: 'EmptyCertificate'", 0)
        s.row("*", "", "TlsDomainCapabilities='None'; Status='NoRemoteCertificate'", 0)
        ehlo_reply(False)
    if outcome == "refused":
        s.senders.append(sender)
        s.row("<", f"MAIL FROM:<{sender}>", gap_ms=120)
        s.row(">", "530 5.7.0 Must issue a STARTTLS command first", gap_ms=1)
        s.row("-", "", "Remote", gap_ms=30)
        return s
    if auth:
        s.row("<", "AUTH LOGIN", gap_ms=150)
        s.row(">", "334 <authentication response>", gap_ms=1)
        s.row("*", auth, "authenticated", gap_ms=40)
        s.row(">", "235 2.7.0 Authentication successful", gap_ms=0)
    for m in range(0 if outcome == "idle" else rng.choice([1, 1, 2])):
        user = rng.randint(1, 99)
        s.senders.append(sender or f"user{user}@{ehlo.split('.', 1)[-1]}")
        s.row("<", f"MAIL FROM:<{s.senders[-1]}> SIZE={rng.randint(2000, 90000)}")
        s.row("*", f"{sid};{ts(s.t)};{m + 1}", "receiving message", 0)
        s.row(">", "250 2.1.0 Sender OK", gap_ms=1)
        s.row("<", "RCPT TO:<helpdesk@contoso.com>")
        s.row(">", "250 2.1.5 Recipient OK", gap_ms=1)
        s.row("<", "BDAT 18422 LAST")
        s.row("*", "", "Proxy destination(s) obtained from OnProxyInboundMessage event. Correlation Id:%08x-0000-4000-8000-%012x"
              % (rng.getrandbits(32), rng.getrandbits(48)))
        s.row(">", f"250 2.6.0 <{rng.getrandbits(64):016x}@{host}> [InternalId={rng.getrandbits(40)}, Hostname={host}] "
              f"18422 bytes in 0.112, 160,623 KB/sec Queued mail for delivery")
    s.row("<", "QUIT")
    s.row(">", "221 2.0.0 Service closing transmission channel", gap_ms=0)
    s.row("-", "", "Local", 0)
    return s


def send(srv, sid, start, connector, ip, banner, outcome, proto=None, suite=None, error=None, multi=False):
    """A Hub send session (Exchange is the TLS client)."""
    local = f"10.0.0.{10 + int(srv[2:])}:{rng.randint(20000, 60000)}"
    s = Session(sid, connector, local, f"{ip}:25", start)
    s.direction, s.ip, s.outcome, s.proto, s.suite, s.error, s.name = "send", ip, outcome, proto, suite, error, banner
    s.srv, s.port, s.auth, s.senders, s.cert = srv, 25, None, [], None
    host = f"{srv}.contoso.com"
    s.row("*", "SendRoutingHeaders", "Set Session Permissions", 0, local="")
    s.row("*", "", "attempting to connect", 0, local="")
    s.row("+", gap_ms=40)
    s.row("<", f"220 {banner} Microsoft ESMTP MAIL Service ready at {start.strftime('%a, %d %b %Y %H:%M:%S')} +0000")
    s.row(">", f"EHLO {host}", gap_ms=0)

    def remote_ehlo(tls_offered):
        s.row("<", f"250-{banner} Hello [198.51.100.10]")
        for c in ["250-SIZE 157286400", "250-PIPELINING", "250-DSN", "250-ENHANCEDSTATUSCODES"] + \
                (["250-STARTTLS"] if tls_offered else []) + ["250-8BITMIME", "250-BINARYMIME", "250 CHUNKING"]:
            s.row("<", c, gap_ms=0)

    remote_ehlo(True)
    s.row(">", "STARTTLS", gap_ms=0)
    s.row("<", "220 2.0.0 SMTP server ready")
    if multi:
        multi_cert(s, "Sending certificate", f"CN={host}", "CN=Contoso-Issuing-CA, DC=contoso, DC=com", host)
    else:
        data, ctx = single_cert("Sending certificate", f"CN={host}", "CN=Contoso-Issuing-CA", host)
        s.row("*", data, ctx, 0)
    if outcome == "failed":
        s.row("*", "", f"TLS negotiation failed with error {error}")
        s.tls_time = s.t
        s.row("-", "", "DroppedSession", 0)
        return s
    if multi:
        s.cert = f"CN={banner}, O=Partner Ltd, C=GB"
        multi_cert(s, "Remote certificate", s.cert, "CN=Partner CA, O=Partner Ltd, C=GB", banner)
    else:
        s.cert = f"CN={banner}"
        data, ctx = single_cert("Remote certificate", s.cert, "CN=DigiCert_Global_G2", banner)
        s.row("*", data, ctx, 0)
    s.row("*", "", tls_line(proto, *suite))
    s.tls_time = s.t
    s.row(">", f"EHLO {host}")
    remote_ehlo(False)
    s.senders.append("noreply@contoso.com")
    s.row(">", f"MAIL FROM:<noreply@contoso.com> SIZE={rng.randint(2000, 90000)}")
    s.row(">", "RCPT TO:<orders@" + banner.split(".", 1)[-1] + ">", gap_ms=0)
    s.row("<", "250 2.1.0 Sender OK")
    s.row("<", "250 2.1.5 Recipient OK", gap_ms=0)
    s.row(">", "BDAT 5321 LAST")
    s.row("<", f"250 2.6.0 <{rng.getrandbits(64):016x}@{host}> Queued mail for delivery")
    s.row("*", "", f"sending message with RecordId {rng.getrandbits(36)} and InternetMessageId <{rng.getrandbits(64):016x}@{host}>", 0)
    s.row(">", "QUIT")
    s.row("<", "221 2.0.0 Service closing transmission channel")
    s.row("-", "", "Local", 0)
    return s


def write(path, log_type, lines, created):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    header = ["#Software: Microsoft Exchange Server", "#Version: 15.0.0.0", f"#Log-type: {log_type}",
              f"#Date: {ts(created)}", f"#Fields: {FIELDS}"]
    body = "\r\n".join(header + [l for _, l in lines]) + "\r\n"
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + body.encode("utf-8"))


def by_time(sessions):
    rows = [r for s in sessions for r in s.lines()]
    rows.sort(key=lambda r: r[0])  # stable: keeps each session's order
    return rows


def hourly(sessions, folder, prefix, log_type):
    rows = by_time(sessions)
    hours = sorted({t.strftime("%Y%m%d%H") for t, _ in rows})
    for h in hours:
        part = [r for r in rows if r[0].strftime("%Y%m%d%H") == h]
        created = datetime.strptime(h, "%Y%m%d%H").replace(tzinfo=timezone.utc) + timedelta(seconds=3, milliseconds=113)
        write(os.path.join(folder, f"{prefix}{h}-1.LOG"), log_type, part, created)


def daily(sessions, folder, prefix, log_type):
    rows = by_time(sessions)
    for d in sorted({t.strftime("%Y%m%d") for t, _ in rows}):
        part = [r for r in rows if r[0].strftime("%Y%m%d") == d]
        created = datetime.strptime(d, "%Y%m%d").replace(tzinfo=timezone.utc) + timedelta(seconds=1)
        write(os.path.join(folder, f"{prefix}{d}-1.LOG"), log_type, part, created)


VERSIONS = ["SSL2", "SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "other"]
NAMES = {"CALG_AES_256": "AES-256", "CALG_AES_128": "AES-128", "CALG_3DES": "3DES", "CALG_RC4": "RC4",
         "CALG_SHA_384": "SHA-384", "CALG_SHA_256": "SHA-256", "CALG_SHA1": "SHA-1", "CALG_MD5": "MD5",
         "CALG_ECDH_EPHEM": "ECDHE", "CALG_ECDHE": "ECDHE", "CALG_RSA_KEYX": "RSA"}


def version(proto):
    # SP_PROT_TLS1_2_SERVER -> TLS1.2, SP_PROT_SSL3_CLIENT -> SSL3
    v = proto.split("_")[2:-1]
    return v[0] if len(v) == 1 else f"{v[0]}.{v[1]}"


LEGACY = {"SSL2", "SSL3", "TLS1.0", "TLS1.1"}
WEAK = {"CALG_RC4", "CALG_3DES", "CALG_DES", "CALG_MD5"}


def truth(sessions, skewed=()):
    """exlog's reports, from the sessions as made (not from the logs).

    `skewed` are sessions written with a wrong clock: counted, but their
    rows are no record of when a server's logs end."""
    def counts():
        return {v: 0 for v in VERSIONS} | {"failed": 0}

    conn, remote, cipher, failure, day, server = {}, {}, {}, {}, {}, {}
    legacy = {}
    kinds = {"tls": 0, "failed": 0, "plain": 0, "idle": 0}
    for s in sessions:
        d, when = s.direction, ts(s.tls_time) if s.tls_time else None
        # A refused session (530 5.7.0) sent MAIL FROM in clear: exlog's
        # plaintext class in the counts; only --by fallout calls it a failure.
        plain = s.outcome in ("plain", "refused")
        kinds["plain" if plain else s.outcome] += 1
        c = conn.setdefault((d, s.connector), {"n": counts(), "plaintext": 0})
        sv = server.setdefault((d, s.srv), {"n": counts(), "plaintext": 0, "sessions": 0})
        sv["sessions"] += 1
        r = remote.setdefault((d, s.ip), {"n": counts(), "seen": [], "plaintext": 0, "sessions": 0, "names": {}})
        r["sessions"] += 1
        r["names"][s.name] = r["names"].get(s.name, 0) + 1
        # A skewed clock's day is its own row, marked clock_skew.
        skew = s in skewed
        start_day = ts(s.rows[0][0])[:10]
        if s.outcome in ("plain", "idle", "refused"):
            if plain:
                c["plaintext"] += 1
                r["plaintext"] += 1
                sv["plaintext"] += 1
                day.setdefault((start_day, d, skew), {"n": counts(), "plaintext": 0})["plaintext"] += 1
            continue
        key = "failed" if s.outcome == "failed" else version(s.proto)
        for n in (c["n"], r["n"], sv["n"], day.setdefault((when[:10], d, skew), {"n": counts(), "plaintext": 0})["n"]):
            n[key] += 1
        if not skew:  # a skewed clock's time is no first or last time
            r["seen"].append(when)
        if s.outcome == "failed":
            k = (d, s.srv, s.connector, s.ip, s.error)
            failure[k] = failure.get(k, 0) + 1
        else:
            cb, hb, kb = s.suite[1], s.suite[3], s.suite[5]
            k = (d, key, NAMES[s.suite[0]], cb, NAMES[s.suite[2]], hb, NAMES[s.suite[4]], kb)
            cipher[k] = cipher.get(k, 0) + 1
            weak = s.suite[0] in WEAK or s.suite[2] in WEAK
            if key in LEGACY or weak:
                e = legacy.setdefault((d, s.srv, s.connector, s.ip), {"versions": {}, "legacy": 0, "weak": 0, "times": []})
                e["legacy"] += key in LEGACY
                e["weak"] += weak
                e["times"].append(when)
    # The versions column lists every negotiation of a listed remote there.
    for s in sessions:
        e = legacy.get((s.direction, s.srv, s.connector, s.ip))
        if e is not None and s.outcome == "tls":
            v = version(s.proto)
            e["versions"][v] = e["versions"].get(v, 0) + 1

    def with_total(n):
        return n | {"total": sum(n.values())}

    top = lambda names: sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    # Coverage per server and direction: first and last row, skew left out.
    cover = {}
    for s in sessions:
        if s in skewed:
            continue
        for t, *_ in s.rows:
            for k in ((s.srv, s.direction), (s.srv, None)):
                lo, hi = cover.get(k, (t, t))
                cover[k] = (min(lo, t), max(hi, t))
    return {
        "connector": [{"direction": d, "connector": k} | with_total(v["n"]) | {"plaintext": v["plaintext"]}
                      for (d, k), v in conn.items()],
        "remote": [{"direction": d, "remote_ip": ip} | with_total(v["n"])
                   | {"first_seen": min(v["seen"], default=""), "last_seen": max(v["seen"], default=""),
                      "plaintext": v["plaintext"], "sessions": v["sessions"], "ehlo": top(v["names"])}
                   for (d, ip), v in remote.items()],
        "cipher": [{"direction": k[0], "tls_version": k[1], "cipher": k[2], "cipher_bits": k[3], "hash": k[4],
                    "hash_bits": k[5], "key_exchange": k[6], "key_exchange_bits": k[7], "sessions": n}
                   for k, n in cipher.items()],
        "failure": [{"direction": k[0], "server": k[1], "connector": k[2], "remote_ip": k[3], "error": k[4], "sessions": n}
                    for k, n in failure.items()],
        "day": [{"date": date, "direction": d} | v["n"]
                | {"plaintext": v["plaintext"], "total": sum(v["n"].values()), "clock_skew": skew}
                for (date, d, skew), v in day.items()],
        "server": [{"direction": d, "server": srv} | with_total(v["n"])
                   | {"plaintext": v["plaintext"], "sessions": v["sessions"],
                      "first_record": ts(cover[(srv, d)][0]), "last_record": ts(cover[(srv, d)][1])}
                   for (d, srv), v in server.items()],
        "legacy": [{"direction": k[0], "server": k[1], "connector": k[2], "remote_ip": k[3],
                    "versions": "; ".join(f"{v} x{e['versions'][v]}" for v in VERSIONS if v in e["versions"]),
                    "legacy_sessions": e["legacy"], "weak_cipher_sessions": e["weak"],
                    "first_legacy": min(e["times"]), "last_legacy": max(e["times"])}
                   | legacy_columns(sessions, k)
                   for k, e in legacy.items()],
        "readiness": readiness(sessions, cover, skewed),
        "totals": {"sessions_tls": kinds["tls"], "sessions_failed": kinds["failed"],
                   "sessions_plaintext": kinds["plain"], "sessions_idle": kinds["idle"]},
    }


IMPACTS = ["internal", "client_submission", "tls_required", "opportunistic"]


def key_of(s):
    return (s.direction, s.srv, s.connector, s.ip)


def start(s):
    return s.rows[0][0]


def is_legacy(s):
    return s.outcome == "tls" and version(s.proto) in LEGACY


def is_flagged(s):
    return s.outcome == "tls" and (version(s.proto) in LEGACY or s.suite[0] in WEAK or s.suite[2] in WEAK)


def tls_required_connectors(sessions):
    """(direction, server, connector) that require TLS: the inventory's
    RequireTLS or TlsAuthLevel, or a 530 5.7.0 answer on it."""
    out = {("receive", srv, f"{srv}\\{name}") for srv, name, *_ in RECEIVE_INVENTORY
           if (srv, name) in REQUIRE_TLS}
    out |= {("send", srv, name) for name, servers, tls, level, _ in SEND_INVENTORY
            for srv in servers.split() if tls == "True" or level}
    return out | {(s.direction, s.srv, s.connector) for s in sessions if s.outcome == "refused"}


def impact(s, required):
    """The spec's first class that applies to one session."""
    if s.port in (2525, 717, 465):  # Exchange's internal ports: the only internal hops made here
        return "internal"
    client = {(f"{srv}\\{name}") for srv, name, role, port, _ in RECEIVE_INVENTORY
              if "ExchangeUsers" in groups_of(srv, name, port)}
    if s.auth or (s.direction == "receive" and (s.port == 587 or s.connector in client)):
        return "client_submission"
    if (s.direction, s.srv, s.connector) in required:
        return "tls_required"
    return "opportunistic"


def first_impact(group, required):
    return min((impact(s, required) for s in group), key=IMPACTS.index)


def joined(values):
    v = sorted(set(values), key=lambda x: x.encode())
    return ";".join(v[:5] + ([f"+{len(v) - 5} more"] if len(v) > 5 else []))


def legacy_columns(sessions, key):
    """--by legacy's impact, auth_users, senders, certificate_subject of one row."""
    flagged = [s for s in sessions if key_of(s) == key and is_flagged(s)]
    certs = {}
    for s in flagged:
        if s.cert:
            certs[s.cert] = certs.get(s.cert, 0) + 1
    cert = sorted(certs.items(), key=lambda kv: (-kv[1], kv[0].encode()))[0][0] if certs else ""
    return {"impact": first_impact(flagged, tls_required_connectors(sessions)),
            "auth_users": joined(s.auth for s in flagged if s.auth),
            "senders": joined(a for s in flagged for a in s.senders), "certificate_subject": cert}


def switches(sessions):
    """Each server's switch: the earliest failure of a remote with a legacy
    past after which no legacy session starts on that server."""
    out = {}
    for srv in sorted({s.srv for s in sessions}):
        mine = [s for s in sessions if s.srv == srv]
        for f in sorted((s for s in mine if s.outcome in ("failed", "refused")), key=start):
            had = any(key_of(s) == key_of(f) and is_legacy(s) and start(s) < start(f) for s in mine)
            if had and not any(is_legacy(s) and start(s) >= start(f) for s in mine):
                out[srv] = start(f).replace(hour=0, minute=0, second=0, microsecond=0)
                break
    return out


def fallout(sessions, skewed):
    """--by fallout's rows, from the sessions as made."""
    required, rows = tls_required_connectors(sessions), []
    sessions = [s for s in sessions if s not in skewed]
    switch = switches(sessions)
    for key in sorted({key_of(s) for s in sessions if s.srv in switch}):
        mine = sorted((s for s in sessions if key_of(s) == key), key=start)
        failed = [s for s in mine if s.outcome in ("failed", "refused") and start(s) >= switch[key[1]]]
        if not failed:
            continue
        first = start(failed[0])
        old = [s for s in mine if is_legacy(s)]
        after = [s for s in mine if start(s) > first]
        plain = [s for s in after if s.outcome == "plain"]
        modern = [s for s in after if s.outcome == "tls" and version(s.proto) in ("TLS1.2", "TLS1.3")]
        last_good = max(plain + modern, key=start, default=None)
        if not [s for s in old if start(s) < first]:
            outcome = "new_failure"
        else:
            outcome = "blocked" if last_good is None else "recovered" if last_good in modern else "fell_back_to_plaintext"
        names = {}
        for s in mine:
            names[s.name] = names.get(s.name, 0) + 1
        rows.append({"direction": key[0], "server": key[1], "connector": key[2], "remote_ip": key[3],
                     "ehlo": sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[0][0],
                     "impact": first_impact(old or failed, required),
                     "last_legacy": ts(max(start(s) for s in old)) if old else "",
                     "first_failure": ts(first), "last_failure": ts(start(failed[-1])), "failures": len(failed),
                     "errors": ";".join(sorted({s.error or "530 5.7.0" for s in failed})),
                     "outcome": outcome, "plaintext_sessions_after": len(plain),
                     "modern_sessions_after": len(modern), "last_seen": ts(start(mine[-1]))})
    return rows, {srv: day.strftime("%Y-%m-%d") for srv, day in switch.items()}


def readiness(sessions, cover, skewed, days=14):
    """Status per server and per connector, worked out from the sessions:
    each server's window is the 14 days before its own latest record."""
    out = []
    for srv in sorted({s.srv for s in sessions}):
        first, last = cover[(srv, None)]
        # The `days` calendar days (UTC) that end with the day of the last record.
        lo, hi = datetime(last.year, last.month, last.day, tzinfo=timezone.utc) - timedelta(days=days - 1), last
        inside = lambda t: t is not None and lo <= t <= hi
        scopes = [("server", "", "")] + sorted({("connector", s.direction, s.connector)
                                                for s in sessions if s.srv == srv})
        for scope, d, conn in scopes:
            mine = [s for s in sessions if s.srv == srv and (scope == "server" or (s.direction, s.connector) == (d, conn))]
            tls = [s for s in mine if s.outcome in ("tls", "failed") and inside(s.tls_time)]
            old = [s for s in tls if s.outcome == "tls" and version(s.proto) in LEGACY]
            new = [s for s in tls if s.outcome == "tls" and version(s.proto) in ("TLS1.2", "TLS1.3")]
            c_first = cover[(srv, d or None)][0]
            status = ("not_ready" if old else
                      "ready" if c_first <= lo and new else "insufficient_data")
            out.append({"scope": scope, "direction": d, "server": srv, "connector": conn, "status": status,
                        "sessions": sum(inside(s.rows[0][0]) for s in mine),
                        "negotiations": len(tls), "legacy_sessions": len(old),
                        "legacy_remotes": len({s.ip for s in old}),
                        "plaintext_sessions": sum(s.outcome in ("plain", "refused") and inside(s.rows[0][0]) for s in mine),
                        "window_from": ts(lo), "window_to": ts(hi)})
    return out


# The connector inventory, as the README's Get-ReceiveConnector and
# Get-SendConnector commands export it: (server, name, role, port, logging).
FE, HUB = "FrontendTransport", "HubTransport"
RECEIVE_INVENTORY = [
    (srv, f"{name} {srv}", role, port, "Verbose" if srv == "EX03" or name == "Default Frontend" else "None")
    for srv in ("EX01", "EX02", "EX03")
    for name, role, port in (("Default Frontend", FE, 25), ("Client Frontend", FE, 587),
                             ("Outbound Proxy Frontend", FE, 717), ("Default", HUB, 2525),
                             ("Client Proxy", HUB, 465))
]
AUTH = {25: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
        587: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS",
        717: "Tls, Integrated, ExchangeServer", 2525: "Tls, Integrated, ExchangeServer",
        465: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"}
GROUPS = {25: "AnonymousUsers, ExchangeServers, ExchangeLegacyServers", 587: "ExchangeUsers",
          717: "ExchangeServers", 2525: "ExchangeUsers, ExchangeServers, ExchangeLegacyServers",
          465: "ExchangeUsers, ExchangeServers"}
# A partner's own connector on EX01's port 25 (its RemoteIPRanges set it
# apart): TLS required, so a session that skips STARTTLS gets 530 5.7.0.
RECEIVE_INVENTORY.append(("EX01", "Partner Inbound EX01", FE, 25, "Verbose"))
REQUIRE_TLS = {("EX01", "Partner Inbound EX01")}


def groups_of(srv, name, port):
    return "Partners" if (srv, name) in REQUIRE_TLS else GROUPS[port]


# (name, source servers, RequireTLS, TlsAuthLevel, address space)
SEND_INVENTORY = [
    ("Internet Send Connector", "EX02", "False", "", "SMTP:*;1"),
    ("Outbound to Internet", "EX01 EX03", "False", "", "SMTP:*;1"),
    ("Partner Relay", "EX03", "True", "DomainValidation", "SMTP:partner.example;1"),
]


def csv_line(values):
    return ",".join('"' + v.replace('"', '""') + '"' for v in values) + "\r\n"


def write_inventory():
    """sample-logs/inventory/: the receive connectors in UTF-16 LE with a BOM
    (Windows PowerShell's -Encoding Unicode), the send connectors in UTF-8
    with a BOM (-Encoding UTF8); every value quoted, CRLF."""
    folder = os.path.join(OUT, "inventory")
    os.makedirs(folder, exist_ok=True)
    text = csv_line(["Identity", "Server", "TransportRole", "Enabled", "Bindings", "ProtocolLoggingLevel",
                     "RequireTLS", "AuthMechanism", "PermissionGroups", "Fqdn"])
    for srv, name, role, port, logging in RECEIVE_INVENTORY:
        text += csv_line([f"{srv}\\{name}", srv, role, "True", f"[::]:{port} 0.0.0.0:{port}", logging,
                          str((srv, name) in REQUIRE_TLS), AUTH[port], groups_of(srv, name, port), f"{srv}.contoso.com"])
    with open(os.path.join(folder, "receive-connectors.csv"), "wb") as f:
        f.write(b"\xff\xfe" + text.encode("utf-16-le"))
    text = csv_line(["Identity", "Enabled", "SourceTransportServers", "RequireTLS", "TlsAuthLevel",
                     "AddressSpaces", "SmartHosts", "ProtocolLoggingLevel", "Fqdn"])
    for name, servers, tls, level, space in SEND_INVENTORY:
        text += csv_line([name, "True", servers, tls, level, space, "", "Verbose", "mail.contoso.com"])
    with open(os.path.join(folder, "send-connectors.csv"), "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))


def coverage(sessions, skewed, days=14):
    """The coverage rows and each server's verdict where it is not not_ready,
    worked out from the sessions and the inventory above (not by reading
    the logs): a connector is covered when it logs (rows, or Verbose) and
    its service folder has records on each of the window's days."""
    day = lambda t: t.strftime("%Y-%m-%d")
    service_days, last, rows_of = {}, {}, {}
    for s in sessions:
        # A skewed clock's session is counted on its connector, but its
        # times move no window and cover no day.
        rows_of.setdefault((s.srv, s.direction, s.connector.lower()), []).append(s)
        if s in skewed:
            continue
        key = (s.srv, s.direction, s.service)
        service_days.setdefault(key, set()).update(day(t) for t, *_ in s.rows)
        last[s.srv] = max(last.get(s.srv, s.rows[-1][0]), max(t for t, *_ in s.rows))
    rows, verdicts = [], {}
    for srv in sorted(last):
        end = last[srv]
        window = [day(end - timedelta(days=k)) for k in range(days - 1, -1, -1)]
        conns = [("receive", f"{sv}\\{name}", "FrontEnd" if role == FE else "Hub", logging)
                 for sv, name, role, port, logging in RECEIVE_INVENTORY if sv == srv]
        conns += [("send", name, "Hub", "Verbose") for name, servers, *_ in SEND_INVENTORY if srv in servers.split()]
        blind = False
        for d, ident, service, logging in sorted(conns):
            seen = service_days.get((srv, d, service), set())
            with_logs = sum(x in seen for x in window)
            has_rows = (srv, d, ident.lower()) in rows_of
            if logging == "None":
                status = "not_logged"
            elif not seen and not has_rows:
                status = "not_read"
            elif with_logs == days:
                status = "covered"
            else:
                status = "partial"
            blind |= status != "covered"
            rows.append({"server": srv, "direction": d, "connector": ident, "source": "inventory",
                         "service": service, "sessions": len(rows_of.get((srv, d, ident.lower()), [])),
                         "days_with_logs": with_logs, "missing_days": days - with_logs, "status": status})
        verdicts[srv] = "insufficient_data" if blind else "ready"
    return rows, verdicts


def switched_ex01(rcv1, snd1, base1):
    """Adds to EX01's lists: on 2024-03-08 an internal hop below TLS 1.2 and
    a partner on its TLS-required connector (one session skips STARTTLS:
    530 5.7.0); on 2024-03-09 TLS 1.0/1.1 is off: the old partner fails, then
    recovers at TLS 1.2; the scanner fails, then sends in clear; the slow
    partner fails and stays blocked; a new scanner fails (new_failure).
    Returns EX01's Hub receive sessions (port 2525)."""
    ids = iter(range(0x08DC3FF000000000, 0x08DC3FF000001000))
    sid = lambda: "%016X" % next(ids)
    T12, T11, day2 = "SP_PROT_TLS1_2_SERVER", "SP_PROT_TLS1_1_SERVER", base1 + timedelta(days=1)
    hub1 = [receive("EX01", sid(), base1 + timedelta(minutes=9), "10.0.0.12", "EX02.contoso.com", "tls",
                    "SP_PROT_TLS1_0_SERVER", CBC10, connector="Default", port=2525)]
    partner = dict(connector="Partner Inbound", sender="orders@securepartner.example")
    rcv1 += [
        receive("EX01", sid(), base1 + timedelta(minutes=11), "203.0.113.50", "mx.securepartner.example", "tls",
                T11, CBC10, **partner),
        receive("EX01", sid(), base1 + timedelta(minutes=19), "203.0.113.50", "mx.securepartner.example", "refused",
                **partner),
    ]
    am = "AlgorithmMismatch"
    scanner = dict(connector="Client Frontend", port=587, auth="CONTOSO\\scanner-3rdfloor",
                   sender="scanner-3rdfloor@contoso.com")
    rcv1 += [
        receive("EX01", sid(), day2 + timedelta(minutes=4), "40.92.10.21", "EUR05-VI1-obe.outbound.protection.outlook.com",
                "tls", T12, GCM12),
        receive("EX01", sid(), day2 + timedelta(minutes=10), "203.0.113.77", "mx1.oldpartner.example", "failed", error=am),
        receive("EX01", sid(), day2 + timedelta(minutes=40), "203.0.113.77", "mx1.oldpartner.example", "tls", T12, GCM12),
        receive("EX01", sid(), day2 + timedelta(minutes=15), "10.20.0.15", "SCAN-3RDFLOOR", "failed", error=am, **scanner),
        receive("EX01", sid(), day2 + timedelta(minutes=16), "10.20.0.15", "SCAN-3RDFLOOR", "plain", **scanner),
        receive("EX01", sid(), day2 + timedelta(hours=1, minutes=2), "10.20.0.16", "SCAN-2NDFLOOR", "failed", error=am,
                connector="Client Frontend", port=587),
    ]
    snd1 += [
        send("EX01", sid(), day2 + timedelta(minutes=20), "Outbound to Internet", "192.0.2.44", "mail.slowpartner.example",
             "failed", error=am),
        send("EX01", sid(), day2 + timedelta(minutes=50), "Outbound to Internet", "192.0.2.44", "mail.slowpartner.example",
             "failed", error=am),
        send("EX01", sid(), day2 + timedelta(minutes=30), "Outbound to Internet", "52.101.68.5",
             "contoso-com.mail.protection.outlook.com", "tls", "SP_PROT_TLS1_2_CLIENT", GCM12),
    ]
    hub1.append(receive("EX01", sid(), day2 + timedelta(minutes=25), "10.0.0.12", "EX02.contoso.com", "tls",
                        T12, GCM12, connector="Default", port=2525))
    return hub1


def main():
    base1 = datetime(2024, 3, 8, 10, 0, 0, tzinfo=timezone.utc)
    ids = iter(range(0x08DC3F2A5B1C4000, 0x08DC3F2A5B1C5000))
    sid = lambda: "%016X" % next(ids)
    T12 = "SP_PROT_TLS1_2_SERVER"
    # The 3rd-floor scanner submits on 587 as a user: a client submission.
    SCANNER = dict(connector="Client Frontend", port=587, auth="CONTOSO\\scanner-3rdfloor",
                   sender="scanner-3rdfloor@contoso.com")
    rcv1 = [
        receive("EX01", sid(), base1 + timedelta(minutes=2), "40.92.10.21", "EUR05-VI1-obe.outbound.protection.outlook.com", "tls", T12, GCM12),
        receive("EX01", sid(), base1 + timedelta(minutes=2, seconds=1), "209.85.220.41", "mail-sor-f41.google.com", "tls", T12, GCM12_128),
        receive("EX01", sid(), base1 + timedelta(minutes=7), "10.20.0.15", "SCAN-3RDFLOOR", "tls", "SP_PROT_TLS1_0_SERVER", CBC10_128, **SCANNER),
        receive("EX01", sid(), base1 + timedelta(minutes=13), "203.0.113.77", "mx1.oldpartner.example", "tls", "SP_PROT_TLS1_1_SERVER", CBC10),
        receive("EX01", sid(), base1 + timedelta(minutes=21), "198.51.100.99", "legacy-gw.example.net", "failed", error="AlgorithmMismatch"),
        receive("EX01", sid(), base1 + timedelta(minutes=24), "10.20.0.31", "app-relay01", "plain"),
        receive("EX01", sid(), base1 + timedelta(minutes=33), "40.92.10.21", "EUR05-VI1-obe.outbound.protection.outlook.com", "tls", T12, GCM12),
        receive("EX01", sid(), base1 + timedelta(minutes=47), "10.20.0.15", "SCAN-3RDFLOOR", "tls", "SP_PROT_TLS1_0_SERVER", CBC10_128, **SCANNER),
        # Starts just before 11:00 and ends in the next hourly file.
        receive("EX01", sid(), base1 + timedelta(minutes=59, seconds=59), "209.85.220.41", "mail-sor-f41.google.com", "tls", T12, GCM12_128),
        receive("EX01", sid(), base1 + timedelta(hours=1, minutes=5), "2001:db8:5::25", "mx.v6partner.example", "tls", T12, GCM12),
        receive("EX01", sid(), base1 + timedelta(hours=1, minutes=12), "40.92.10.22", "EUR05-AM6-obe.outbound.protection.outlook.com", "tls", T12, GCM12),
        # Connects, says EHLO, leaves: idle, not plaintext.
        receive("EX01", sid(), base1 + timedelta(minutes=38), "198.51.100.7", "healthcheck.example.net", "idle"),
    ]
    snd1 = [
        send("EX01", sid(), base1 + timedelta(minutes=3), "Outbound to Internet", "52.101.68.5", "contoso-com.mail.protection.outlook.com", "tls", "SP_PROT_TLS1_2_CLIENT", GCM12),
        send("EX01", sid(), base1 + timedelta(minutes=15), "Outbound to Internet", "192.0.2.44", "mail.slowpartner.example", "tls", "SP_PROT_TLS1_0_CLIENT", CBC10),
        send("EX01", sid(), base1 + timedelta(minutes=28), "Outbound to Internet", "192.0.2.80", "smtp.brokenpartner.example", "failed", error="UnknownCredentials"),
        send("EX01", sid(), base1 + timedelta(minutes=41), "Outbound to Internet", "52.101.68.5", "contoso-com.mail.protection.outlook.com", "tls", "SP_PROT_TLS1_2_CLIENT", GCM12),
    ]

    base2 = datetime(2022, 12, 28, 8, 0, 0, tzinfo=timezone.utc)
    ids = iter(range(0x08DAE7F03C2A1000, 0x08DAE7F03C2A2000))
    rcv2 = [
        receive("EX02", sid(), base2 + timedelta(minutes=5), "40.92.10.21", "EUR05-VI1-obe.outbound.protection.outlook.com", "tls", T12, CBC12, new_shape=False),
        receive("EX02", sid(), base2 + timedelta(minutes=5, seconds=2), "203.0.113.77", "mx1.oldpartner.example", "tls", "SP_PROT_TLS1_0_SERVER", CBC10, new_shape=False),
        receive("EX02", sid(), base2 + timedelta(hours=2), "203.0.113.77", "mx1.oldpartner.example", "tls", "SP_PROT_TLS1_0_SERVER", CBC10, new_shape=False),
        receive("EX02", sid(), base2 + timedelta(hours=3), "10.20.0.90", "OLD-MFP-2008", "tls", "SP_PROT_SSL3_SERVER", RC4, new_shape=False),
        receive("EX02", sid(), base2 + timedelta(hours=4), "10.20.0.31", "app-relay01", "plain", new_shape=False),
        receive("EX02", sid(), base2 + timedelta(hours=6), "209.85.220.41", "mail-sor-f41.google.com", "tls", T12, CBC12, new_shape=False),
    ]
    snd2 = [
        send("EX02", sid(), base2 + timedelta(minutes=30), "Internet Send Connector", "52.101.68.5", "contoso-com.mail.protection.outlook.com", "tls", "SP_PROT_TLS1_2_CLIENT", CBC12, multi=True),
        send("EX02", sid(), base2 + timedelta(hours=5), "Internet Send Connector", "192.0.2.44", "mail.slowpartner.example", "tls", "SP_PROT_TLS1_1_CLIENT", DES3, multi=True),
    ]
    ex02 = os.path.join(OUT, "EX02", "TransportRoles", "Logs")
    write(os.path.join(ex02, "FrontEnd", "ProtocolLog", "SmtpReceive", "RECV20221228-1.LOG"),
          "SMTP Receive Protocol Log", by_time(rcv2), base2 + timedelta(seconds=1))
    write(os.path.join(ex02, "Hub", "ProtocolLog", "SmtpSend", "SEND20221228-1.LOG"),
          "SMTP Send Protocol Log", by_time(snd2), base2 + timedelta(seconds=1))

    # EX03: sixteen days of daily files, so that its logs cover the
    # 14-day window: ready, though one scanner used TLS 1.0 before it.
    base3 = datetime(2024, 2, 21, 9, 0, 0, tzinfo=timezone.utc)
    ids = iter(range(0x08DC3A0011220000, 0x08DC3A0011230000))
    rcv3, snd3 = [], []
    for day in range(16):
        t = base3 + timedelta(days=day)
        rcv3.append(receive("EX03", sid(), t, "40.92.10.21", "EUR05-VI1-obe.outbound.protection.outlook.com", "tls", T12, GCM12))
        snd3.append(send("EX03", sid(), t + timedelta(hours=2), "Outbound to Internet", "52.101.68.5",
                         "contoso-com.mail.protection.outlook.com", "tls", "SP_PROT_TLS1_2_CLIENT", GCM12))
    rcv3.append(receive("EX03", sid(), base3 + timedelta(minutes=30), "10.30.0.5", "OLD-SCANNER", "tls",
                        "SP_PROT_TLS1_0_SERVER", CBC10_128))
    # A partner connector whose only TLS attempt failed: no evidence either way.
    snd3.append(send("EX03", sid(), base3 + timedelta(days=14, hours=3), "Partner Relay", "192.0.2.80",
                     "smtp.brokenpartner.example", "failed", error="UnknownCredentials"))
    # A session written with the clock years ahead: counted, but it does not
    # move the end of EX03's window.
    skew = receive("EX03", sid(), datetime(2031, 1, 1, 0, 0, 0, tzinfo=timezone.utc), "40.92.10.21",
                   "EUR05-VI1-obe.outbound.protection.outlook.com", "tls", T12, GCM12)
    # EX03's Transport service: another Exchange server hands it mail on
    # 2525 every day, so its Hub receive folder covers the window too.
    hub3 = [receive("EX03", sid(), base3 + timedelta(days=day, hours=1), "10.0.0.14", "EX04.contoso.com", "tls",
                    T12, GCM12, connector="Default", port=2525) for day in range(16)]
    ex03 = os.path.join(OUT, "EX03", "TransportRoles", "Logs")
    rcv_dir = os.path.join(ex03, "FrontEnd", "ProtocolLog", "SmtpReceive")
    daily(rcv3, rcv_dir, "RECV", "SMTP Receive Protocol Log")
    daily(hub3, os.path.join(ex03, "Hub", "ProtocolLog", "SmtpReceive"), "RECV", "SMTP Receive Protocol Log")
    daily(snd3, os.path.join(ex03, "Hub", "ProtocolLog", "SmtpSend"), "SEND", "SMTP Send Protocol Log")
    last = os.path.join(rcv_dir, (base3 + timedelta(days=15)).strftime("RECV%Y%m%d-1.LOG"))
    with open(last, "ab") as f:
        f.write(("\r\n".join(l for _, l in skew.lines()) + "\r\n").encode("utf-8"))
    # EX01 after its switch, made last so that the sessions above keep their bytes.
    hub1 = switched_ex01(rcv1, snd1, base1)
    ex01 = os.path.join(OUT, "EX01", "TransportRoles", "Logs")
    hourly(rcv1, os.path.join(ex01, "FrontEnd", "ProtocolLog", "SmtpReceive"), "RECV", "SMTP Receive Protocol Log")
    hourly(hub1, os.path.join(ex01, "Hub", "ProtocolLog", "SmtpReceive"), "RECV", "SMTP Receive Protocol Log")
    hourly(snd1, os.path.join(ex01, "Hub", "ProtocolLog", "SmtpSend"), "SEND", "SMTP Send Protocol Log")
    # An Explorer copy of a file: exlog reads its content once.
    src = os.path.join(ex01, "FrontEnd", "ProtocolLog", "SmtpReceive", "RECV2024030810-1.LOG")
    with open(src, "rb") as a, open(src[:-4] + " - Copy.LOG", "wb") as b:
        b.write(a.read())
    everything = rcv1 + snd1 + rcv2 + snd2 + rcv3 + hub3 + snd3 + [skew] + hub1
    for sess in rcv1 + snd1 + rcv2 + snd2 + rcv3 + snd3 + [skew]:
        sess.service = "Hub" if sess.direction == "send" else "FrontEnd"
    for sess in hub3 + hub1:
        sess.service = "Hub"
    write_inventory()
    t = truth(everything, skewed=[skew])
    t["coverage"], verdicts = coverage(everything, [skew])
    t["fallout"], t["switch"] = fallout(everything, [skew])
    for row in t["readiness"]:
        if row["scope"] == "server" and row["status"] != "not_ready":
            row["status"] = verdicts[row["server"]]
    with open(os.path.join(OUT, "truth.json"), "w") as f:
        json.dump(t, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(OUT, "README.txt"), "w") as f:
        f.write("Synthetic Exchange SMTP protocol logs for trying exlog; made by scripts/make_sample_logs.py.\n"
                "exlog reads only RECV*.LOG and SEND*.LOG in folders, so this file and truth.json\n"
                "(the report rows the script computed from the sessions it made) are ignored.\n")


main()
