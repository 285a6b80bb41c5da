#!/usr/bin/env python3
"""Writes the owners fixtures in this folder (committed; rerun to remake),
byte for byte as Excel and PowerShell write them.

One table, six rows, in each file. What the writers do:
- Excel "CSV UTF-8 (Comma delimited)": a UTF-8 BOM, CRLF after every row
  (the last too), a value quoted only when it holds the separator, a quote
  or a line break (a quote doubled). Where the locale's decimal mark is a
  comma (de-DE, fr-FR, ...), the list separator, and so the CSV's, is `;`:
  then a value with a comma is not quoted, one with `;` is. Extra columns
  (here `notes`) come along; a row Excel holds empty comes out `,,,`.
- Windows PowerShell 5.1 `Export-Csv -Encoding Unicode`: UTF-16 LE with a
  BOM, `#TYPE System.Management.Automation.PSCustomObject` first (no
  -NoTypeInformation), every name and value quoted, CRLF after every line;
  the columns in the order the objects' properties were typed.
- PowerShell 7 `Export-Csv`: UTF-8 without a BOM, no #TYPE, every field
  quoted, CRLF (on Windows).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# (match, owner, contact, notes)
ROWS = [
    ("10.20.0.15", "Print room", "helpdesk@contoso.example", "the 3rd floor scanner"),
    ("10.20.0.0/16", "Facilities, 3rd floor", '"Jörg Müller" <jm@contoso.example>', ""),
    ("*.partner.example", "Partner IT", "+49 30 1234567", ""),
    ("SCAN-*", "Facilities", "", ""),
    ("@fabrikam.example", "Fabrikam; mail team", "ops@fabrikam.example", ""),
    ("2001:db8::/32", "Lab", "", "IPv6 test net"),
]


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def excel_field(value, sep):
    if any(c in value for c in (sep, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def excel(sep):
    lines = [sep.join(["match", "owner", "contact", "notes"])]
    for i, row in enumerate(ROWS):
        lines.append(sep.join(excel_field(v, sep) for v in row))
        if i == 2:
            lines.append(sep * 3)  # a row left empty in the sheet
    return b"\xef\xbb\xbf" + "".join(l + "\r\n" for l in lines).encode("utf-8")


def powershell(rows_in_order, type_line):
    quote = lambda v: '"' + v.replace('"', '""') + '"'
    lines = [type_line] if type_line else []
    lines.append(",".join(quote(n) for n in ["Owner", "Match", "Contact"]))
    for m, owner, contact, _ in rows_in_order:
        lines.append(",".join(quote(v) for v in [owner, m, contact]))
    return "".join(l + "\r\n" for l in lines)


put("excel-utf8.csv", excel(","))
put("excel-utf8-semicolon.csv", excel(";"))
text = powershell(ROWS, "#TYPE System.Management.Automation.PSCustomObject")
put("powershell51-unicode.csv", b"\xff\xfe" + text.encode("utf-16-le"))
put("powershell7.csv", powershell(ROWS, None).encode("utf-8"))
# A network with a prefix longer than IPv4's on line 3.
put("bad-cidr.csv", b"match,owner,contact\r\n10.0.0.1,A,\r\n10.0.0.0/33,B,\r\n")
