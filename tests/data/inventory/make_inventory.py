#!/usr/bin/env python3
"""Writes the connector inventory fixtures in this folder (committed; rerun
to remake), byte for byte as PowerShell writes them.

What Export-Csv and ConvertTo-Csv write (PowerShell's ExportCsvHelper):
every header name and value in double quotes, a quote doubled; a $null
value as nothing at all (`,,`); CRLF after every line, the last one too;
`#TYPE <first type name>` first unless -NoTypeInformation (the default
only from PowerShell 7 on). Encodings: Windows PowerShell 5.1's Export-Csv
writes ASCII by default (each character outside it as one '?'),
-Encoding UTF8 with a BOM, -Encoding Unicode (and `>`, which is Out-File)
UTF-16 LE with a BOM; PowerShell 7 UTF-8 without a BOM.

Two servers, EX01 and EX02 (Exchange 2016), each with its five default
receive connectors, plus a relay of EX01 whose name holds a comma and
quotes, and a disabled French-named one on EX02; three send connectors.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

AUTH_ALL = "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer"


def defaults(srv):
    """(name, role, port, logging, auth, permission groups) of the five
    default receive connectors of an Exchange 2013+ Mailbox server."""
    return [
        (f"Default {srv}", "HubTransport", 2525, "None", AUTH_ALL,
         "ExchangeUsers, ExchangeServers, ExchangeLegacyServers"),
        (f"Client Proxy {srv}", "HubTransport", 465, "None", AUTH_ALL,
         "ExchangeUsers, ExchangeServers"),
        (f"Default Frontend {srv}", "FrontendTransport", 25, "Verbose", AUTH_ALL,
         "AnonymousUsers, ExchangeServers, ExchangeLegacyServers"),
        (f"Outbound Proxy Frontend {srv}", "FrontendTransport", 717, "Verbose", AUTH_ALL,
         "ExchangeServers"),
        (f"Client Frontend {srv}", "FrontendTransport", 587, "None",
         "Tls, Integrated, BasicAuth, BasicAuthRequireTLS", "ExchangeUsers"),
    ]


def receive_connectors():
    """One dict per connector, with the real (not exported) values."""
    out = []
    for srv in ["EX01", "EX02"]:
        for name, role, port, logging, auth, groups in defaults(srv):
            out.append(dict(Identity=f"{srv}\\{name}", Name=name, Server=srv, TransportRole=role,
                            Enabled=True, Bindings=[f"[::]:{port}", f"0.0.0.0:{port}"],
                            ProtocolLoggingLevel=logging, RequireTLS=False, AuthMechanism=auth,
                            PermissionGroups=groups, Fqdn=f"{srv.lower()}.contoso.com"))
        if srv == "EX01":
            name = 'Relay "Scan, Print" EX01'
            out.append(dict(Identity=f"EX01\\{name}", Name=name, Server="EX01",
                            TransportRole="FrontendTransport", Enabled=True,
                            Bindings=["10.0.0.11:25"], ProtocolLoggingLevel="Verbose",
                            RequireTLS=False, AuthMechanism="Tls", PermissionGroups="AnonymousUsers",
                            Fqdn="relay.contoso.com"))
    name = "Réception clients EX02"
    out.append(dict(Identity=f"EX02\\{name}", Name=name, Server="EX02",
                    TransportRole="FrontendTransport", Enabled=False, Bindings=["0.0.0.0:2587"],
                    ProtocolLoggingLevel="None", RequireTLS=True, AuthMechanism="Tls, BasicAuth",
                    PermissionGroups="ExchangeUsers", Fqdn="ex02.contoso.com"))
    return out


def send_connectors():
    return [
        dict(Identity="Outbound to Internet", Name="Outbound to Internet", Enabled=True,
             SourceTransportServers=["EX01", "EX02"], RequireTLS=False, TlsAuthLevel=None,
             AddressSpaces=["SMTP:*;1"], SmartHosts=[], ProtocolLoggingLevel="Verbose", Fqdn=None),
        dict(Identity="Outbound to Office 365 - 1c0a5b7e", Name="Outbound to Office 365 - 1c0a5b7e",
             Enabled=True, SourceTransportServers=["EX01"], RequireTLS=True,
             TlsAuthLevel="DomainValidation", AddressSpaces=["smtp:contoso.mail.onmicrosoft.com;1"],
             SmartHosts=["contoso-com.mail.protection.outlook.com"], ProtocolLoggingLevel="None",
             Fqdn="mail.contoso.com"),
        dict(Identity="Partner relay", Name="Partner relay", Enabled=False,
             SourceTransportServers=["EX02"], RequireTLS=True, TlsAuthLevel="CertificateValidation",
             AddressSpaces=["SMTP:partner.example;1", "SMTP:*.partner.example;2"],
             SmartHosts=["[192.0.2.25]", "relay.partner.example"], ProtocolLoggingLevel="Verbose",
             Fqdn=None),
    ]


def text(v):
    """A value's ToString(), as Export-Csv takes it ($null stays None)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "True" if v else "False"
    return str(v)


def csv_lines(columns, rows, type_name=None):
    """Export-Csv / ConvertTo-Csv: lines without line ends."""
    quote = lambda s: "" if s is None else '"' + s.replace('"', '""') + '"'
    lines = [f"#TYPE {type_name}"] if type_name else []
    lines.append(",".join(quote(c) for c in columns))
    for row in rows:
        lines.append(",".join(quote(row[c]) for c in columns))
    return lines


def encode(lines, encoding):
    body = "".join(line + "\r\n" for line in lines)
    if encoding == "ascii":  # .NET's ASCIIEncoding: one '?' per character outside it
        return body.encode("ascii", errors="replace")
    return {"utf8bom": b"\xef\xbb\xbf" + body.encode("utf-8"),
            "utf8": body.encode("utf-8"),
            "unicode": b"\xff\xfe" + body.encode("utf-16-le")}[encoding]


RECEIVE_COLUMNS = ["Identity", "Server", "TransportRole", "Enabled", "Bindings",
                   "ProtocolLoggingLevel", "RequireTLS", "AuthMechanism", "PermissionGroups", "Fqdn"]
SEND_COLUMNS = ["Identity", "Enabled", "SourceTransportServers", "RequireTLS", "TlsAuthLevel",
                "AddressSpaces", "SmartHosts", "ProtocolLoggingLevel", "Fqdn"]
SYSCONF = "Microsoft.Exchange.Data.Directory.SystemConfiguration"


def selected(connectors, columns):
    """The README's Select-Object: lists joined with ' ', the rest ToString()."""
    out = []
    for c in connectors:
        row = {}
        for col in columns:
            v = c[col]
            row[col] = " ".join(v) if isinstance(v, list) else text(v)
        out.append(row)
    return out


def mvp(t):
    return f"Microsoft.Exchange.Data.MultiValuedProperty`1[{t}]"


# A plain export's columns (most of them; the order Exchange 2016 lists
# them in): (column, value of a connector) in the local snap-in; lists
# become their type name, or System.Collections.ArrayList from a remote
# shell.
def plain_receive(c):
    return [("RunspaceId", "5c2d3f1e-7a3b-4f5e-9c1d-2b3a4c5d6e7f"), ("AuthMechanism", c["AuthMechanism"]),
            ("Banner", None), ("BinaryMimeEnabled", True), ("Bindings", mvp("Microsoft.Exchange.Data.IPBinding")),
            ("ChunkingEnabled", True), ("DefaultDomain", None), ("DeliveryStatusNotificationEnabled", True),
            ("EightBitMimeEnabled", True), ("SmtpUtf8Enabled", True), ("DomainSecureEnabled", False),
            ("EnhancedStatusCodesEnabled", True), ("LongAddressesEnabled", False), ("OrarEnabled", False),
            ("SuppressXAnonymousTls", False), ("ProxyEnabled", False), ("AdvertiseClientSettings", False),
            ("Fqdn", c["Fqdn"]), ("ServiceDiscoveryFqdn", None), ("TlsCertificateName", None), ("Comment", None),
            ("Enabled", c["Enabled"]), ("ConnectionTimeout", "00:10:00"), ("ConnectionInactivityTimeout", "00:05:00"),
            ("MessageRateLimit", "Unlimited"), ("MessageRateSource", "IPAddress"), ("MaxInboundConnection", "5000"),
            ("MaxInboundConnectionPerSource", "20"), ("MaxInboundConnectionPercentagePerSource", "2"),
            ("MaxHeaderSize", "128 KB (131,072 bytes)"), ("MaxHopCount", "60"), ("MaxLocalHopCount", "12"),
            ("MaxLogonFailures", "3"), ("MaxMessageSize", "36 MB (37,748,736 bytes)"), ("MaxProtocolErrors", "5"),
            ("MaxRecipientsPerMessage", "200"), ("PermissionGroups", c["PermissionGroups"]),
            ("PipeliningEnabled", True), ("ProtocolLoggingLevel", c["ProtocolLoggingLevel"]),
            ("RemoteIPRanges", mvp("Microsoft.Exchange.Data.IPRange")), ("RequireEHLODomain", False),
            ("RequireTLS", c["RequireTLS"]), ("EnableAuthGSSAPI", False), ("ExtendedProtectionPolicy", "None"),
            ("LiveCredentialEnabled", False),
            ("TlsDomainCapabilities", mvp("Microsoft.Exchange.Data.SmtpReceiveDomainCapabilities")),
            ("Server", c["Server"]), ("TransportRole", c["TransportRole"]), ("SizeEnabled", "Enabled"),
            ("TarpitInterval", "00:00:05"), ("MaxAcknowledgementDelay", "00:00:30"), ("AdminDisplayName", None),
            ("ExchangeVersion", "0.1 (8.0.535.0)"), ("Name", c["Name"]),
            ("DistinguishedName", f"CN={c['Name']},CN=SMTP Receive Connectors,CN=Protocols,CN={c['Server']},"
                                  "CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),"
                                  "CN=Administrative Groups,CN=Contoso,CN=Microsoft Exchange,CN=Services,"
                                  "CN=Configuration,DC=contoso,DC=com"),
            ("Identity", c["Identity"]), ("Guid", "0f6c3a1e-2b4d-4c5e-8f7a-1b2c3d4e5f60"),
            ("ObjectCategory", "contoso.com/Configuration/Schema/ms-Exch-Smtp-Receive-Connector"),
            ("ObjectClass", mvp("System.String")), ("WhenChanged", "3/1/2024 9:12:44 AM"),
            ("WhenCreated", "6/14/2021 4:02:10 PM"), ("OrganizationId", ""), ("Id", c["Identity"]),
            ("OriginatingServer", "DC01.contoso.com"), ("IsValid", True), ("ObjectState", "Unchanged")]


def plain_send(c):
    return [("RunspaceId", "5c2d3f1e-7a3b-4f5e-9c1d-2b3a4c5d6e7f"),
            ("AddressSpaces", mvp("Microsoft.Exchange.Data.AddressSpace")), ("AuthenticationCredential", None),
            ("CloudServicesMailEnabled", False), ("Comment", None),
            ("ConnectedDomains", mvp("Microsoft.Exchange.Data.ConnectedDomain")),
            ("ConnectionInactivityTimeOut", "00:10:00"), ("ConnectorType", "Default"), ("DNSRoutingEnabled", not c["SmartHosts"]),
            ("DomainSecureEnabled", False), ("Enabled", c["Enabled"]), ("ErrorPolicies", "Default"),
            ("ForceHELO", False), ("FrontendProxyEnabled", False), ("Fqdn", c["Fqdn"]), ("HomeMTA", "Microsoft MTA"),
            ("Identity", c["Identity"]), ("IgnoreSTARTTLS", False), ("IsScopedConnector", False),
            ("MaxMessageSize", "35 MB (36,700,160 bytes)"), ("Name", c["Name"]), ("Port", "25"),
            ("ProtocolLoggingLevel", c["ProtocolLoggingLevel"]), ("RequireOorg", False),
            ("RequireTLS", c["RequireTLS"]), ("SmartHostAuthMechanism", "None"),
            ("SmartHosts", mvp("Microsoft.Exchange.Data.SmartHost")), ("SmartHostsString", ",".join(c["SmartHosts"])),
            ("SourceIPAddress", "0.0.0.0"),
            ("SourceTransportServers", mvp("Microsoft.Exchange.Data.Directory.ADObjectId")),
            ("TlsAuthLevel", c["TlsAuthLevel"]), ("TlsCertificateName", None), ("TlsDomain", None),
            ("UseExternalDNSServersEnabled", False), ("AdminDisplayName", None), ("ExchangeVersion", "0.1 (8.0.535.0)"),
            ("Guid", "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"), ("WhenChanged", "3/1/2024 9:12:44 AM"),
            ("OrganizationId", ""), ("Id", c["Identity"]), ("IsValid", True), ("ObjectState", "Unchanged")]


def plain(connectors, shape, remote):
    columns = [col for col, _ in shape(connectors[0])]
    rows = []
    for c in connectors:
        row = {}
        for col, v in shape(c):
            v = text(v)
            if remote and v and v.startswith("Microsoft.Exchange.Data.MultiValuedProperty"):
                v = "System.Collections.ArrayList"
            row[col] = v
        rows.append(row)
    if remote:  # implicit remoting adds these to every object
        columns += ["PSComputerName", "PSShowComputerName"]
        for row in rows:
            row.update(PSComputerName="ex01.contoso.com", PSShowComputerName="False")
    return columns, rows


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    rc, sc = receive_connectors(), send_connectors()
    receive = csv_lines(RECEIVE_COLUMNS, selected(rc, RECEIVE_COLUMNS))
    send = csv_lines(SEND_COLUMNS, selected(sc, SEND_COLUMNS))
    # The README's commands, in Windows PowerShell 5.1 or 7.
    put("receive-connectors.csv", encode(receive, "utf8bom"))
    put("send-connectors.csv", encode(send, "utf8bom"))
    # PowerShell 7 without -Encoding: UTF-8, no BOM.
    put("receive-pwsh7.csv", encode(receive, "utf8"))
    # Windows PowerShell 5.1 without -Encoding: ASCII.
    put("receive-ascii.csv", encode(receive, "ascii"))
    # -Encoding Unicode; and ConvertTo-Csv -NoTypeInformation > file.
    put("receive-unicode.csv", encode(receive, "unicode"))
    put("send-redirected.csv", encode(send, "unicode"))
    # Without -NoTypeInformation in Windows PowerShell 5.1.
    typed = csv_lines(RECEIVE_COLUMNS, selected(rc, RECEIVE_COLUMNS), f"Selected.{SYSCONF}.ReceiveConnector")
    put("receive-typed.csv", encode(typed, "utf8bom"))
    # Plain `Get-ReceiveConnector | Export-Csv -Encoding UTF8 FILE`: local
    # snap-in, then a remote shell (Deserialized, ArrayList).
    cols, rows = plain(rc, plain_receive, remote=False)
    put("receive-plain-local.csv", encode(csv_lines(cols, rows, f"{SYSCONF}.ReceiveConnector"), "utf8bom"))
    cols, rows = plain(rc, plain_receive, remote=True)
    put("receive-plain-remote.csv",
        encode(csv_lines(cols, rows, f"Deserialized.{SYSCONF}.ReceiveConnector"), "utf8bom"))
    cols, rows = plain(sc, plain_send, remote=True)
    put("send-plain-remote.csv",
        encode(csv_lines(cols, rows, f"Deserialized.{SYSCONF}.SmtpSendConnectorConfig"), "utf8bom"))
    # Copies cut short: a UTF-8 one inside its 8th row, a UTF-16 one
    # inside a character.
    whole = encode(receive, "utf8bom")
    cut = whole.index(b"\r\n", whole.index(b"Client Proxy EX02")) - 40
    put("malformed-cut.csv", whole[:cut])
    utf16 = encode(receive, "unicode")
    put("malformed-cut-utf16.csv", utf16[:len(utf16) // 2 * 2 - 301])


if __name__ == "__main__":
    main()
