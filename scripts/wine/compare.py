#!/usr/bin/env python3
"""Compares what exlog.exe wrote under Wine with what the Linux exlog wrote
from the same files, for scripts/windows-check.sh. Prints one line per
comparison, and the first difference when there is one (exit 1).

Only two things are allowed to differ, and each is undone in the Windows
output before a byte-for-byte comparison:
  --map WIN=LINUX  a path as typed on Windows (C:\\Logs\\sample) where Linux
                   had LINUX: the typed prefix is replaced, and the
                   backslashes in the rest of that path become slashes;
  OS error texts   "No such file ... (os error 2)" and "The system cannot
                   find the file specified. (os error 2)" both compare as
                   "(os error 2)" (each OS words its errors).
JSON loses its timings (stats.elapsed_seconds, stats.gb_per_s) and the
partial result's CRC-32 (a function of the body, compared itself); the
workbook its creation time (docProps/core.xml).

usage: compare.py KIND LINUX WINDOWS [--map WIN=LINUX]... [--name TEXT]
(--name: what a text comparison is called in its line; the file's name
by default)
KIND: text, json, dir (every file of two folders, as text or JSON), xlsx,
html.
"""

import difflib
import html.parser
import json
import os
import re
import sys
import zipfile
import xml.dom.minidom

# What may follow a path in a message, a CSV cell, JSON or XML text.
PATH_REST = r'[^:\r\n",<>|]*'
OS_ERROR = re.compile(r": [^:\r\n]*\(os error (\d+)\)")


def mapped(text, maps):
    for win, linux in maps:
        pattern = re.compile(re.escape(win) + PATH_REST)
        text = pattern.sub(lambda m: linux + m.group(0)[len(win):].replace("\\", "/"), text)
    return text


def plain(text):
    return OS_ERROR.sub(r": (os error \1)", text)


def same(what, linux, windows):
    if linux == windows:
        print(f"  same: {what} ({len(linux.encode('utf-8', 'surrogateescape'))} bytes)")
        return True
    print(f"  DIFFERENT: {what}")
    diff = difflib.unified_diff(
        linux.splitlines(), windows.splitlines(), "linux", "windows", lineterm="", n=1
    )
    for line in list(diff)[:20]:
        print("    " + line[:300])
    return False


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def compare_text(linux, windows, maps, what=None):
    return same(what or os.path.basename(windows), plain(read(linux)), plain(mapped(read(windows), maps)))


def without_timings(doc, maps):
    doc["stats"].pop("elapsed_seconds", None)
    doc["stats"].pop("gb_per_s", None)
    doc.get("partial", {}).pop("crc32", None)

    def walk(x):
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, str):
            return plain(mapped(x, maps))
        return x

    return json.dumps(walk(doc), indent=1, ensure_ascii=False)


def compare_json(linux, windows, maps):
    a = without_timings(json.loads(read(linux)), [])
    b = without_timings(json.loads(read(windows)), maps)
    return same(os.path.basename(windows) + " (less timings and CRC-32)", a, b)


def compare_dir(linux, windows, maps):
    names = sorted(os.listdir(linux))
    if names != sorted(os.listdir(windows)):
        print(f"  DIFFERENT: files in {windows}: {sorted(os.listdir(windows))} where Linux wrote {names}")
        return False
    ok = []
    for n in names:
        check = compare_json if n.endswith(".json") else compare_text
        ok.append(check(os.path.join(linux, n), os.path.join(windows, n), maps))
    return bool(names) and all(ok)


def compare_xlsx(linux, windows, maps):
    ok = True
    with zipfile.ZipFile(linux) as a, zipfile.ZipFile(windows) as b:
        if a.namelist() != b.namelist():
            print(f"  DIFFERENT: parts of {windows}: {b.namelist()} where Linux has {a.namelist()}")
            return False
        for name in a.namelist():
            x = a.read(name).decode("utf-8")
            y = b.read(name).decode("utf-8")
            xml.dom.minidom.parseString(y)  # Windows' part opens as XML
            if name == "docProps/core.xml":
                stamp = re.compile(r"(<dcterms:(created|modified)[^>]*>)[^<]*")
                x, y = stamp.sub(r"\1", x), stamp.sub(r"\1", y)
            if name == "xl/worksheets/sheet1.xml":
                # The Summary's warning rows are as tall as their wrapped
                # text, and the text names the paths as typed, which differ.
                height = re.compile(r' ht="[0-9.]+" customHeight="1"')
                x, y = height.sub("", x), height.sub("", y)
            ok &= same(f"{os.path.basename(windows)}: {name}", x, mapped(y, maps))
    return ok


class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def compare_html(linux, windows, maps):
    page = read(windows)
    tags = Tags()
    tags.feed(page)
    if "table" not in tags.tags or "svg" not in tags.tags:
        print(f"  DIFFERENT: {windows} has no table or no chart")
        return False
    return same(os.path.basename(windows), read(linux), mapped(page, maps))


def main(argv):
    kind, linux, windows = argv[1:4]
    maps, name = [], None
    rest = argv[4:]
    while len(rest) >= 2:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--name":
            name = value
        elif flag == "--map" and "=" in value:
            maps.append(tuple(value.split("=", 1)))
        else:
            sys.exit(f"compare.py: expected --map WIN=LINUX or --name TEXT, got {flag} {value}")
    if rest:
        sys.exit(f"compare.py: {rest[0]} lacks its value")
    # Longer prefixes first: C:\Logs - Copy before C:\Logs.
    maps.sort(key=lambda m: -len(m[0]))
    check = {
        "text": compare_text,
        "json": compare_json,
        "dir": compare_dir,
        "xlsx": compare_xlsx,
        "html": compare_html,
    }[kind]
    if kind == "text":
        return 0 if compare_text(linux, windows, maps, name) else 1
    return 0 if check(linux, windows, maps) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
