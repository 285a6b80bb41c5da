#!/usr/bin/env python3
"""Writes the fixture folders under tests/data/ (committed; rerun to remake).

real/  lines from excerpts/ (published excerpts of real logs, each with its
       source) in on-disk form: note lines dropped, BOM + 5-line header
       added, CRLF.
ugly/  hand-made files that exercise every awkward on-disk fact.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "excerpts")
FIELDS = "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context"
BOM = b"\xef\xbb\xbf"


def header(kind, date):
    return ["#Software: Microsoft Exchange Server", "#Version: 15.0.0.0",
            f"#Log-type: SMTP {kind} Protocol Log", f"#Date: {date}", FIELDS]


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def crlf(lines, bom=True):
    return (BOM if bom else b"") + "\r\n".join(lines).encode("utf-8") + b"\r\n"


def sample_rows(name):
    with open(os.path.join(SAMPLES, name), encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if not l.startswith("#")]


def tls(proto, c="CALG_AES_256", cb=256, h="CALG_SHA_384", hb=0, k="CALG_ECDHE", kb=384):
    return (f'"TLS protocol {proto} negotiation succeeded using bulk encryption algorithm {c} with strength {cb} bits, '
            f'MAC hash algorithm {h} with strength {hb} bits and key exchange algorithm {k} with strength {kb} bits"')


def real():
    d = os.path.join(HERE, "real")
    # Qazeer: FE receive, single-row certificate, TLS 1.2 GCM (has its header).
    put(os.path.join(d, "FrontEnd", "SmtpReceive", "RECV2023011116-1.LOG"),
        crlf(header("Receive", "2023-01-11T16:00:04.113Z") + sample_rows("Qazeer_artefacts.help_microsoft_exchange_SmtpReceive.log")))
    # KB4051498: send, multi-row certificate, UnknownCredentials (no header in the excerpt).
    put(os.path.join(d, "Hub", "SmtpSend", "SEND20171007-1.LOG"),
        crlf(header("Send", "2017-10-07T04:00:00.000Z") + sample_rows("MicrosoftDocs_SupportArticles_outbound-email-messages-are-not-sent.log")))
    # pastebin 3PWithi9: send log with header, interleaved sessions, no TLS.
    put(os.path.join(d, "Hub", "SmtpSend", "SEND2019032113-1.LOG"),
        crlf(header("Send", "2019-03-21T13:01:06.525Z") + sample_rows("pastebin_3PWithi9_smtpsend_outbound_to_o365.log")))
    # The 2019 intra-org TLS 1.0 line with its localized connector (docs/log-format.md §3.1).
    put(os.path.join(d, "Hub", "SmtpSend", "SEND20191104-1.LOG"),
        crlf(header("Send", "2019-11-04T06:00:00.000Z") + [
            "2019-11-04T06:00:35.402Z,组织内 SMTP 发送连接器,08D760DF231F00BC,27,10.**.**.31:37964,10.**.**.168:25,*,,"
            + tls("SP_PROT_TLS1_0_CLIENT", "CALG_AES_256", 256, "CALG_SHA1", 160, "CALG_ECDHE", 256),
            "2019-11-04T06:00:35.402Z,组织内 SMTP 发送连接器,08D760DF231F00BC,29,10.**.**.31:37964,10.**.**.168:25,*,352D244A535D94B576232ECC4A4000CFE06BE106,Certificate thumbprint",
            "2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC,45,10.**.**.31:37964,10.**.**.168:25,*,,Outbound Authentication failed with LogonDenied",
        ]))
    # KB4495258 as published: placeholders instead of time stamps, so not a log.
    put(os.path.join(d, "Hub", "SmtpSend", "SEND20240124-1.LOG"),
        crlf(sample_rows("MicrosoftDocs_SupportArticles_tls-negotiation-failed-nocredentials.txt"), bom=False))
    # pastebin Y9kdXfdc: FE send log, the inbound proxy connector under its
    # Russian name, to the Hub's port 2525 ("Proxying inbound session").
    put(os.path.join(d, "FrontEnd", "SmtpSend", "SEND20171212-1.LOG"),
        crlf(header("Send", "2017-12-12T13:18:04.822Z") + sample_rows("pastebin_Y9kdXfdc_smtpsend_inbound_proxy_ru.log")))
    # tstrueber: receive without TLS (plaintext relay), no header in the excerpt.
    put(os.path.join(d, "FrontEnd", "SmtpReceive", "RECV2024031309-1.LOG"),
        crlf(header("Receive", "2024-03-13T09:00:00.000Z") + sample_rows("tstrueber_blog01_exchange-smtp-relay-report.log")))


def ugly():
    d = os.path.join(HERE, "ugly")
    recv = "EX9\\Default Frontend EX9"
    row = lambda t, conn, sid, seq, rem, ev, data, ctx, loc="10.0.0.9:25": ",".join([t, conn, sid, str(seq), loc, rem, ev, data, ctx])
    put(os.path.join(d, "RECV2024010100-1.LOG"), b"")  # empty
    put(os.path.join(d, "RECV2024010101-1.LOG"), crlf(header("Receive", "2024-01-01T01:00:00.000Z")))  # header only
    put(os.path.join(d, "RECV2024010102-1.LOG"), bytes(range(256)) * 8)  # binary
    put(os.path.join(d, "notes.txt"), b"not a log, never read\n")
    # An IIS log that logs no crypt-* fields: read, with a warning saying how to add them.
    put(os.path.join(d, "u_ex240101.log"), b"#Fields: date time\n")
    # LF endings, no BOM, rows before the header's #Date, a `#` line mid-file,
    # a malformed TLS row, and a last line cut mid-quote (still being written).
    lines = header("Receive", "2024-01-01T03:00:05.000Z") + [
        row("2024-01-01T02:59:58.100Z", recv, "08DC000000000001", 7, "192.0.2.1:40001", "*", "", tls("SP_PROT_TLS1_2_SERVER")),
        row("2024-01-01T03:00:01.000Z", recv, "08DC000000000002", 7, "[2001:db8::7]:40002", "*", "", tls("SP_PROT_TLS1_0_SERVER", "CALG_3DES", 168, "CALG_SHA1", 160, "CALG_RSA_KEYX", 2048)),
        "#Software: Microsoft Exchange Server",
        row("2024-01-01T03:00:02.000Z", recv, "08DC000000000003", 2, "192.0.2.3:40003", "<", "EHLO \udcff\udcfe negotiation host", ""),
        "2024-01-01T03:00:03.000Z,EX9\\Default Frontend EX9,08DC000000000004,7,10.0.0.9:25,*,,TLS negotiation failed with error IllegalMessage",
        row("2024-01-01T03:00:04.000Z", recv, "08DC000000000005", 7, "[fe80::1%12]:40005", "*", "", "TLS negotiation failed with error AlgorithmMismatch"),
        row("2024-01-01T03:00:05.000Z", recv, "08DC000000000006", 7, "192.0.2.1:40006", "*", "", tls("SP_PROT_TLS1_1_SERVER"))[:120],
    ]
    put(os.path.join(d, "RECV2024010103-1.LOG"),
        "\n".join(lines).encode("utf-8", "surrogateescape"))
    # Send log, CRLF + BOM: quoted connector with comma and quote, numeric
    # TLS 1.3, the hyphen client form, an unknown token, a complete last line
    # without its CRLF (not read: the file may still be being written), and
    # invalid UTF-8 in the connector name.
    quoted = '"Partner, ""Legacy"" Relay"'
    lines = header("Send", "2024-01-01T00:00:00.000Z") + [
        row("2024-01-01T00:10:00.000Z", quoted, "08DC000000000101", 9, "[2001:db8:1::25]:25", "*", "", tls("8192", "CALG_AES_256", 256, "32780", 0, "CALG_ECDHE", 384), "10.0.0.9:50001"),
        row("2024-01-01T00:11:00.000Z", quoted, "08DC000000000102", 9, "192.0.2.50:25", "*", "", tls("SP_PROT-TLS1_1_CLIENT", "CALG_AES_128", 128, "CALG_SHA1", 160, "CALG_DH_EPHEM", 2048), "10.0.0.9:50002"),
        row("2024-01-01T00:12:00.000Z", quoted, "08DC000000000103", 9, "192.0.2.50:25", "*", "", "TLS negotiation failed with error SocketError", "10.0.0.9:50003"),
        row("2024-01-01T00:13:00.000Z", "Outbound to Internet", "08DC000000000104", 9, "192.0.2.60:25", "*", "", tls("SP_PROT_TLS1_4_CLIENT"), "10.0.0.9:50004"),
        row("2024-01-01T00:14:00.000Z", "Outbound \udce9 Internet", "08DC000000000105", 9, "192.0.2.61:25", "*", "", tls("SP_PROT_TLS1_2_CLIENT", "CALG_AES_128", 128, "CALG_SHA_256", 0, "CALG_ECDH_EPHEM", 256), "10.0.0.9:50005"),
        row("2024-01-01T00:15:00.000Z", "Outbound to Internet", "08DC000000000106", 9, "192.0.2.60:25", "*", "", tls("SP_PROT_SSL3_CLIENT", "CALG_RC4", 128, "CALG_MD5", 128, "CALG_RSA_KEYX", 1024), "10.0.0.9:50006"),
    ]
    put(os.path.join(d, "SEND2024010100-1.LOG"),
        BOM + "\r\n".join(lines).encode("utf-8", "surrogateescape"))


def sessions():
    """One fixture per session shape (issue 6), hand-written."""
    d = os.path.join(HERE, "sessions")
    fe = "EXS\\Default Frontend EXS"
    cf = "EXS\\Client Frontend EXS"
    hub = "EXS\\Default EXS"
    def r(t, conn, sid, seq, loc, rem, ev, data="", ctx=""):
        q = lambda f: '"' + f.replace('"', '""') + '"' if ("," in f or '"' in f) else f
        return ",".join([f"2024-05-01T{t}Z", q(conn), sid, str(seq), loc, rem, ev, q(data), q(ctx)])
    T12S = tls("SP_PROT_TLS1_2_SERVER", "CALG_AES_256", 256, "CALG_SHA_384", 0, "CALG_ECDH_EPHEM", 384)[1:-1]
    T10S = tls("SP_PROT_TLS1_0_SERVER", "CALG_AES_128", 128, "CALG_SHA1", 160, "CALG_RSA_KEYX", 2048)[1:-1]
    T12C = tls("SP_PROT_TLS1_2_CLIENT", "CALG_AES_128", 128, "CALG_SHA_256", 0, "CALG_ECDHE", 256)[1:-1]
    L, A = "10.0.0.21:25", "203.0.113.10:50000"
    B = "198.51.100.7:50001"
    C = "10.20.0.40:50002"
    D = "192.0.2.99:50003"
    E = "[2001:db8:9::1]:50004"
    file10 = [
        # Split across files: starts here, TLS line in the next hour's file.
        r("10:59:58.000", fe, "08DC6A0000000001", 0, L, A, "+"),
        r("10:59:58.001", fe, "08DC6A0000000001", 1, L, A, ">", "220 EXS.contoso.com Microsoft ESMTP MAIL Service ready at Wed, 01 May 2024 10:59:58 +0000"),
        # Interleaved: a plaintext session with HELO, STARTTLS not offered.
        r("10:59:58.100", fe, "08DC6A0000000002", 0, L, B, "+"),
        r("10:59:58.200", fe, "08DC6A0000000001", 2, L, A, "<", "EHLO mail.partner.example"),
        r("10:59:58.201", fe, "08DC6A0000000001", 3, L, A, ">", "250-EXS.contoso.com Hello [203.0.113.10]"),
        r("10:59:58.201", fe, "08DC6A0000000001", 4, L, A, ">", "250-SIZE 37748736"),
        r("10:59:58.201", fe, "08DC6A0000000001", 5, L, A, ">", "250-STARTTLS"),
        r("10:59:58.201", fe, "08DC6A0000000001", 6, L, A, ">", "250 CHUNKING"),
        r("10:59:58.300", fe, "08DC6A0000000002", 1, L, B, ">", "220 EXS.contoso.com Microsoft ESMTP MAIL Service ready at Wed, 01 May 2024 10:59:58 +0000"),
        r("10:59:58.400", fe, "08DC6A0000000002", 2, L, B, "<", "HELO printer-7"),
        r("10:59:58.401", fe, "08DC6A0000000002", 3, L, B, ">", "250 EXS.contoso.com Hello [198.51.100.7]"),
        r("10:59:58.500", fe, "08DC6A0000000002", 4, L, B, "<", "MAIL FROM:<scan@printer-7>"),
        r("10:59:58.501", fe, "08DC6A0000000002", 5, L, B, ">", "250 2.1.0 Sender OK"),
        r("10:59:59.000", fe, "08DC6A0000000001", 7, L, A, "<", "STARTTLS"),
        r("10:59:59.001", fe, "08DC6A0000000001", 8, L, A, ">", "220 2.0.0 SMTP server ready"),
        r("10:59:59.600", fe, "08DC6A0000000002", 6, L, B, "<", "QUIT"),
        r("10:59:59.601", fe, "08DC6A0000000002", 7, L, B, "-", "", "Local"),
        # Client Frontend: STARTTLS, TLS 1.0, AUTH.
        r("10:30:00.000", cf, "08DC6A0000000003", 0, "10.0.0.21:587", C, "+"),
        r("10:30:00.100", cf, "08DC6A0000000003", 1, "10.0.0.21:587", C, "<", "EHLO laptop-12"),
        r("10:30:00.101", cf, "08DC6A0000000003", 2, "10.0.0.21:587", C, ">", "250  EXS.contoso.com Hello [10.20.0.40] SIZE 37748736 PIPELINING STARTTLS AUTH GSSAPI NTLM"),
        r("10:30:00.200", cf, "08DC6A0000000003", 3, "10.0.0.21:587", C, "<", "STARTTLS"),
        r("10:30:00.300", cf, "08DC6A0000000003", 4, "10.0.0.21:587", C, "*", "", T10S),
        r("10:30:00.400", cf, "08DC6A0000000003", 5, "10.0.0.21:587", C, "*", "CONTOSO\\jdoe", "authenticated"),
        r("10:30:00.500", cf, "08DC6A0000000003", 6, "10.0.0.21:587", C, "<", "MAIL FROM:<jdoe@contoso.com>"),
        r("10:30:00.600", cf, "08DC6A0000000003", 7, "10.0.0.21:587", C, "<", "MAIL FROM:<jdoe@contoso.com>"),
        r("10:30:01.000", cf, "08DC6A0000000003", 8, "10.0.0.21:587", C, "-", "", "Remote(ConnectionReset)"),
        # STARTTLS, then the client vanishes: attempted, not negotiated.
        r("10:40:00.000", fe, "08DC6A0000000004", 0, L, D, "+"),
        r("10:40:00.100", fe, "08DC6A0000000004", 1, L, D, "<", "EHLO old-gw"),
        r("10:40:00.200", fe, "08DC6A0000000004", 2, L, D, "<", "STARTTLS"),
        r("10:40:05.000", fe, "08DC6A0000000004", 3, L, D, "-", "", "Timeout"),
    ]
    file10.sort(key=lambda l: l[:24])
    put(os.path.join(d, "EXS", "FrontEnd", "SmtpReceive", "RECV2024050110-1.LOG"), crlf(header("Receive", "2024-05-01T10:00:00.000Z") + file10))
    file11 = [
        r("11:00:00.100", fe, "08DC6A0000000001", 9, L, A, "*", " CN=EXS.contoso.com CN=Contoso CA 0A1B 00112233445566778899AABBCCDDEEFF00112233 2024-01-01T00:00:00.000Z 2025-01-01T00:00:00.000Z EXS.contoso.com", "Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names"),
        r("11:00:00.200", fe, "08DC6A0000000001", 10, L, A, "*", "", T12S),
        r("11:00:00.300", fe, "08DC6A0000000001", 11, L, A, "<", "EHLO mail.partner.example"),
        r("11:00:00.400", fe, "08DC6A0000000001", 12, L, A, "<", "MAIL FROM:<a@partner.example>"),
        r("11:00:01.000", fe, "08DC6A0000000001", 13, L, A, "-", "", "Local"),
        # The middle of a session whose start was deleted (circular logging).
        r("11:10:00.000", fe, "08DC690000000009", 7, L, E, "*", "", T12S),
        r("11:10:00.100", fe, "08DC690000000009", 8, L, E, "<", "EHLO v6.partner.example"),
    ]
    put(os.path.join(d, "EXS", "FrontEnd", "SmtpReceive", "RECV2024050111-1.LOG"), crlf(header("Receive", "2024-05-01T11:00:00.000Z") + file11))
    # Hub receive behind the FrontEnd: X-ANONYMOUSTLS, XPROXYFROM.
    H, F = "10.0.0.21:2525", "10.0.0.22:41000"
    hubrows = [
        r("10:59:59.500", hub, "08DC6A00000000A1", 0, H, F, "+"),
        r("10:59:59.510", hub, "08DC6A00000000A1", 1, H, F, "<", "EHLO EXS2.contoso.com"),
        r("10:59:59.511", hub, "08DC6A00000000A1", 2, H, F, ">", "250  EXS.contoso.com Hello [10.0.0.22] SIZE PIPELINING STARTTLS X-ANONYMOUSTLS AUTH NTLM X-EXPS GSSAPI NTLM"),
        r("10:59:59.520", hub, "08DC6A00000000A1", 3, H, F, "<", "X-ANONYMOUSTLS"),
        r("10:59:59.521", hub, "08DC6A00000000A1", 4, H, F, ">", "220 2.0.0 SMTP server ready"),
        r("10:59:59.530", hub, "08DC6A00000000A1", 5, H, F, "*", "", "Sending certificate"),
        r("10:59:59.530", hub, "08DC6A00000000A1", 6, H, F, "*", "CN=EXS", "Certificate subject"),
        r("10:59:59.530", hub, "08DC6A00000000A1", 7, H, F, "*", "AAAA0000", "Certificate thumbprint"),
        r("10:59:59.540", hub, "08DC6A00000000A1", 8, H, F, "*", "", T12S),
        r("10:59:59.550", hub, "08DC6A00000000A1", 9, H, F, "*", "", "Received certificate"),
        r("10:59:59.550", hub, "08DC6A00000000A1", 10, H, F, "*", "BBBB1111", "Certificate thumbprint"),
        r("10:59:59.560", hub, "08DC6A00000000A1", 11, H, F, "<", "XPROXYFROM SID=08DC6A0000000001 IP=203.0.113.10 PORT=50000 DOMAIN=mail.partner.example SEQNUM=1"),
        r("10:59:59.570", hub, "08DC6A00000000A1", 12, H, F, "<", "MAIL FROM:<a@partner.example>"),
        r("10:59:59.900", hub, "08DC6A00000000A1", 13, H, F, "-", "", "Local"),
    ]
    put(os.path.join(d, "EXS", "Hub", "SmtpReceive", "RECV2024050110-1.LOG"), crlf(header("Receive", "2024-05-01T10:00:00.000Z") + hubrows))
    # Send, size rollover between `attempting to connect` and `+`;
    # multi-row remote certificate.
    S, R = "Outbound to Internet", "192.0.2.25:25"
    LS = "10.0.0.21:40100"
    send1 = [
        r("10:20:00.000", S, "08DC6A00000000B1", 0, "", R, "*", "SendRoutingHeaders", "Set Session Permissions"),
        r("10:20:00.001", S, "08DC6A00000000B1", 1, "", R, "*", "", "attempting to connect"),
    ]
    send2 = [
        r("10:20:00.050", S, "08DC6A00000000B1", 2, LS, R, "+"),
        r("10:20:00.100", S, "08DC6A00000000B1", 3, LS, R, "<", "220 mx.example.org ESMTP Postfix"),
        r("10:20:00.101", S, "08DC6A00000000B1", 4, LS, R, ">", "EHLO EXS.contoso.com"),
        r("10:20:00.150", S, "08DC6A00000000B1", 5, LS, R, "<", "250-mx.example.org"),
        r("10:20:00.150", S, "08DC6A00000000B1", 6, LS, R, "<", "250-STARTTLS"),
        r("10:20:00.150", S, "08DC6A00000000B1", 7, LS, R, "<", "250 8BITMIME"),
        r("10:20:00.151", S, "08DC6A00000000B1", 8, LS, R, ">", "STARTTLS"),
        r("10:20:00.200", S, "08DC6A00000000B1", 9, LS, R, "<", "220 2.0.0 Ready to start TLS"),
        r("10:20:00.250", S, "08DC6A00000000B1", 10, LS, R, "*", "", "Remote certificate"),
        r("10:20:00.250", S, "08DC6A00000000B1", 11, LS, R, "*", "CN=mx.example.org, O=Example, C=DE", "Certificate subject"),
        r("10:20:00.250", S, "08DC6A00000000B1", 12, LS, R, "*", "CN=R11, O=Let's Encrypt, C=US", "Certificate issuer name"),
        r("10:20:00.250", S, "08DC6A00000000B1", 13, LS, R, "*", "0403AB", "Certificate serial number"),
        r("10:20:00.250", S, "08DC6A00000000B1", 14, LS, R, "*", "CCCC2222", "Certificate thumbprint"),
        r("10:20:00.250", S, "08DC6A00000000B1", 15, LS, R, "*", "mx.example.org", "Certificate alternate names"),
        r("10:20:00.300", S, "08DC6A00000000B1", 16, LS, R, "*", "", T12C),
        r("10:20:00.400", S, "08DC6A00000000B1", 17, LS, R, ">", "MAIL FROM:<noreply@contoso.com>"),
        r("10:20:00.500", S, "08DC6A00000000B1", 18, LS, R, ">", "QUIT"),
        r("10:20:00.600", S, "08DC6A00000000B1", 19, LS, R, "-", "", "Local"),
    ]
    put(os.path.join(d, "EXS", "FrontEnd", "SmtpSend", "SEND2024050110-1.LOG"), crlf(header("Send", "2024-05-01T10:00:00.000Z") + send1))
    put(os.path.join(d, "EXS", "FrontEnd", "SmtpSend", "SEND2024050110-2.LOG"), crlf(header("Send", "2024-05-01T10:20:00.040Z") + send2))


def hostile():
    """Text from the Internet that must not act in Excel or a terminal."""
    d = os.path.join(HERE, "hostile")
    conn = "EXH\\Default Frontend EXH"
    evil = "EXH\\\x1b[31mEvil\x1b[0m \u202eRelay"
    def r(t, c, sid, seq, rem, ev, data="", ctx=""):
        q = lambda f: '"' + f.replace('"', '""') + '"' if ("," in f or '"' in f) else f
        return ",".join([f"2024-06-01T{t}Z", q(c), sid, str(seq), "10.0.0.30:25", rem, ev, q(data), q(ctx)])
    rows = []
    names = ['=HYPERLINK("http://x","y")', "@SUM(1)", "-2+3", "+cmd|' /C calc'!A0", "\tTAB"]
    for i, name in enumerate(names):
        sid = f"08DC7B00000000{i:02d}"
        rem = f"192.0.2.{10 + i}:40000"
        c = evil if i == 0 else conn
        rows += [
            r(f"10:00:{i:02d}.000", c, sid, 0, rem, "+"),
            r(f"10:00:{i:02d}.100", c, sid, 1, rem, "<", f"EHLO {name}"),
            r(f"10:00:{i:02d}.200", c, sid, 2, rem, "<", "STARTTLS"),
            r(f"10:00:{i:02d}.300", c, sid, 3, rem, "*", "", tls("SP_PROT_TLS1_0_SERVER")[1:-1]),
            r(f"10:00:{i:02d}.400", c, sid, 4, rem, "*", "=1+1" if i == 1 else "@evil", "authenticated"),
            r(f"10:00:{i:02d}.500", c, sid, 5, rem, "-", "", "Local"),
        ]
    put(os.path.join(d, "RECV2024060110-1.LOG"), crlf(header("Receive", "2024-06-01T10:00:00.000Z") + rows))


def iis():
    """IIS W3C logs: the published EWS excerpt (its #Fields, with crypt-*
    and OriginalClientIP) in on-disk form, plus hand-made rows: a TLS 1.0
    phone, a #Fields change mid-file, a plain HTTP request and a row cut
    short; and a site that logs no crypt-* fields."""
    d = os.path.join(HERE, "iis", "EX05")
    head = ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0"]
    rows = sample_rows("gbeifuss_github_io_powershell-exchange-tls_iis.log")
    # sample_rows drops the excerpt's own # lines: put its #Date/#Fields back.
    with open(os.path.join(SAMPLES, "gbeifuss_github_io_powershell-exchange-tls_iis.log"), encoding="utf-8") as f:
        own = [l.rstrip("\n") for l in f if l.startswith("#Date") or l.startswith("#Fields")]
    rows = own + rows + [
        "2021-03-04 00:01:00 10.10.1.103 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Sync 443 CONTOSO\\phone 203.0.113.9 Apple-iPhone9C1/1402.42 - 200 0 0 12 40 6610 8004 ae06 -",
        "2021-03-04 00:01:30 10.10.1.103 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Ping 443 CONTOSO\\phone 203.0.113.9 Apple-iPhone9C1/1402.42 - 200 0 0 12 40 6610 8004 ae06 192.0.2.77",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status crypt-protocol crypt-cipher crypt-hash crypt-keyexchange",
        "2021-03-04 00:02:00 10.10.1.103 GET /owa/ - 443 CONTOSO\\alice 198.51.100.4 Mozilla/5.0 200 100 6610 800c ae06",
        "2021-03-04 00:02:10 10.10.1.103 GET /owa/service.svc - 443 CONTOSO\\bob 198.51.100.4 Mozilla/5.0 200 800 6610 800c ae06",
        "2021-03-04 00:03:00 10.10.1.103 GET /owa/ - 80 - 198.51.100.4 Mozilla/5.0 302 - - - -",
        "2021-03-04 00:04",
    ]
    put(os.path.join(d, "W3SVC1", "u_ex210304.log"), crlf(head + rows, bom=False))
    put(os.path.join(d, "W3SVC2", "u_ex210304.log"), crlf(head + [
        "#Date: 2021-03-04 00:00:01",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status",
        "2021-03-04 00:02:00 10.10.1.103 GET /ecp/ - 443 - 198.51.100.4 Mozilla/5.0 200",
    ], bom=False))


def tlsrpt():
    """TLS-RPT reports: the published examples (Microsoft twice, one of them
    with zone-less dates; Google; the RFC 8460 example) as RFC-named files,
    one gzipped and one in a zip; the Google one again under another name
    (counted once); and two malformed ones."""
    import gzip, json, zipfile
    d = os.path.join(HERE, "tlsrpt")
    with open(os.path.join(SAMPLES, "phi-ag_mta-sts-exporter_tlsrpt_examples.txt"), encoding="utf-8") as f:
        text = f.read()
    docs, cur = [], []
    for line in text.splitlines():
        if line.startswith("# "):
            if cur:
                docs.append("\n".join(cur))
                cur = []
            continue
        cur.append(line)
    if cur:
        docs.append("\n".join(cur))
    ms1, ms2, google, rfc = [json.loads(x) for x in docs if x.strip()]
    put(os.path.join(d, "microsoft.com!example.com!1708041600!1708127999.json"), json.dumps(ms1, indent=1).encode())
    put(os.path.join(d, "microsoft.com!example.com!1711411200!1711497599.json.gz"),
        gzip.compress(json.dumps(ms2).encode(), mtime=0))
    put(os.path.join(d, "google.com!example.com!1708128000!1708214399!001.json"), json.dumps(google).encode())
    put(os.path.join(d, "google.com!example.com!1708128000!1708214399!002.json"), json.dumps(google).encode())
    zpath = os.path.join(d, "company-x.zip")
    os.makedirs(d, exist_ok=True)
    with zipfile.ZipFile(zpath, "w") as z:
        info = zipfile.ZipInfo("company-x.example!company-y.example!1459468800!1459555199.json", (2016, 4, 2, 0, 0, 0))
        z.writestr(info, json.dumps(rfc))
    bad = dict(google, **{"report-id": "negative"})
    bad["policies"] = [dict(google["policies"][0], summary={"total-successful-session-count": -3, "total-failure-session-count": 0})]
    put(os.path.join(d, "bad.example!example.com!1!2.json"), json.dumps(bad).encode())
    put(os.path.join(d, "cut.example!example.com!1!2.json"), json.dumps(google).encode()[:60])


real()
ugly()
sessions()
hostile()
iis()
tlsrpt()
