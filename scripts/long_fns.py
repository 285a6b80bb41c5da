#!/usr/bin/env python3
"""Functions a reader can hold: lists every function of src/ longer than
80 lines (from its `fn` line to its closing brace), test code included.

A function that is a table of data (a `match` from names to text, a list
of constants) may be longer: name it in ALLOWED below, with the reason.

  python3 scripts/long_fns.py [SRC] [--max N]    exit 1 if any is listed
"""
import os
import re
import sys

MAX = 80
# "file::function": why it may be longer.
ALLOWED = {}

FN = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def strip(line, state):
    """The line with string, char and comment text removed (braces in
    them do not count); `state` carries an open block comment or string
    across lines. In a raw string (`r"…"`, `r#"…"#`) a backslash escapes
    nothing."""
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if state.get("raw") is not None:
            close = '"' + "#" * state["raw"]
            if line.startswith(close, i):
                state["raw"] = None
                i += len(close)
            else:
                i += 1
            continue
        if state["block"]:
            if line.startswith("*/", i):
                state["block"] = False
                i += 2
            else:
                i += 1
            continue
        if state["string"]:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                state["string"] = False
                # A raw string's closing hashes.
                while i + 1 < len(line) and line[i + 1] == "#":
                    i += 1
            i += 1
            continue
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"] = True
            i += 2
            continue
        raw = re.match(r'b?r(#*)"', line[i:])
        if raw and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
            state["raw"] = len(raw.group(1))
            i += raw.end()
            continue
        if c == '"':
            state["string"] = True
            i += 1
            continue
        if c == "'":
            # A char literal ('x', '\n', '{'); a lifetime ('a) has no closing quote.
            m = re.match(r"'(?:\\.|[^\\'])'", line[i:])
            if m:
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def long_functions(path, limit):
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    state = {"block": False, "string": False}
    found = []
    # Open functions: (name, first line, brace depth at which it opened).
    stack = []
    depth = 0
    pending = None
    for n, raw in enumerate(lines, 1):
        quiet = not state["block"] and not state["string"] and state.get("raw") is None
        m = FN.match(raw) if quiet else None
        code = strip(raw, state)
        if m:
            pending = (m.group(1), n)
        for c in code:
            if c == "{":
                if pending:
                    stack.append((pending[0], pending[1], depth))
                    pending = None
                depth += 1
            elif c == "}":
                depth -= 1
                if stack and stack[-1][2] == depth:
                    name, first, _ = stack.pop()
                    if n - first + 1 > limit:
                        found.append((name, first, n - first + 1))
            elif c == ";" and pending:
                pending = None  # a declaration without a body
    return found


def main():
    args = [a for a in sys.argv[1:]]
    limit = MAX
    if "--max" in args:
        i = args.index("--max")
        limit = int(args[i + 1])
        del args[i : i + 2]
    src = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "src")
    problems = 0
    for folder, _, files in sorted(os.walk(src)):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(folder, f)
            rel = os.path.relpath(path, src)
            for name, first, length in long_functions(path, limit):
                key = f"{rel}::{name}"
                if key in ALLOWED:
                    continue
                print(f"long_fns: {os.path.normpath(path)}:{first}: fn {name} is {length} lines (over {limit})")
                problems += 1
    print(f"long_fns: {problems} functions over {limit} lines")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
