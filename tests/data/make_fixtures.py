#!/usr/bin/env python3
"""Writes the fixture folders under tests/data/ (committed; rerun to remake).

real/  lines from ../shared/samples/ (published excerpts of real logs) in
       on-disk form: note lines dropped, BOM + 5-line header added, CRLF.
ugly/  hand-made files that exercise every awkward on-disk fact.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "..", "shared", "samples")
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
    # The 2019 intra-org TLS 1.0 line with its localized connector (FORMAT.md §3.1).
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
    # without its CRLF, and invalid UTF-8 in the connector name.
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


real()
ugly()
