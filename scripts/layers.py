#!/usr/bin/env python3
"""The layer check: dependencies in src/ run one way.

Every file of src/ is a unit (`report::coverage` for src/report/coverage.rs,
`iis` for src/iis/mod.rs). LAYERS below lists them from the bottom up, the
same order CONTRIBUTING.md draws. A unit may use units of its own layer or
of a layer below it, never one above, and no units may use each other in a
circle (within a layer either). Nor may the top-level modules, a folder
taken as one: `iis/` may not use `report` while `report` uses `iis`. A folder's mod.rs is the folder's shared
vocabulary: the files of the folder may use it, and it may declare them
(`mod x;`) without that counting as a use.

Uses are read from the code as text: `crate::a::b` paths, `use crate::{…}`
lists, and `super::` from files in folders. Test code (from the first
`#[cfg(test)]` on) and comments are left out.

  python3 scripts/layers.py [SRC]     exit 1 on an edge up, a circle, or a
                                      file LAYERS does not place
"""
import os
import re
import sys
from fnmatch import fnmatchcase

# Bottom first. A pattern names units (`report::*` is every file of
# src/report/ but its mod.rs, which is `report`).
LAYERS = [
    # `smtp`, `iis` and `tlsrpt` (their mod.rs) only declare the folder's files.
    ("foundations", ["diagnostic", "wire", "progress", "output", "reader", "archive", "wildcard",
                     "inventory", "inventory::*", "owners", "owners::*",
                     "smtp", "iis", "tlsrpt"]),
    ("parse", ["parse", "parse::*"]),
    ("vocabulary", ["table", "filter", "files"]),
    ("tls-rpt", ["tlsrpt::*"]),
    ("files and servers", ["input", "sorted_lines", "servers"]),
    ("chunks", ["chunk"]),
    ("smtp and iis rows", ["smtp::session", "smtp::session::*", "smtp::impact", "iis::parse"]),
    ("smtp and iis counts", ["smtp::counts", "smtp::timeline", "smtp::tally", "smtp::select",
                             "iis::counts"]),
    ("smtp and iis scans", ["smtp::scan", "iis::scan", "iis::report"]),
    ("tally", ["tally"]),
    ("pipeline", ["sink", "pipeline"]),
    ("reports", ["report", "report::*"]),
    ("results", ["events", "partial", "fuzzing"]),
    ("history", ["state", "state::*"]),
    ("flags", ["cli", "config"]),
    ("run", ["app"]),
]


def units_of(src):
    """unit name -> path, for every .rs file but main.rs and lib.rs."""
    out = {}
    for folder, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(folder, f)
            rel = os.path.relpath(path, src)
            if rel in ("main.rs", "lib.rs"):
                continue
            parts = rel[:-3].split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            out["::".join(parts)] = path
    return out


def code_of(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    text = text.split("#[cfg(test)]")[0]
    return re.sub(r"//[^\n]*", "", text)


def uses(unit, path, units):
    """The units `unit` uses."""
    def longest(segments):
        for k in range(len(segments), 0, -1):
            name = "::".join(segments[:k])
            if name in units:
                return name
        return None

    text = code_of(path)
    found = set()
    for m in re.finditer(r"\bcrate::((?:[a-z_][a-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)", text):
        found.add(longest(m.group(1).split("::")))
    for m in re.finditer(r"use\s+crate::\{([^;]*)\};", text, re.S):
        for item in re.split(r",(?![^{]*\})", m.group(1)):
            head = item.split("::{")[0].strip()
            if head:
                found.add(longest(head.split("::")))
    # super:: from a file in a folder: its folder (or a sibling file).
    is_mod = path.endswith("mod.rs")
    folder = unit.split("::")[:-1] if not is_mod else unit.split("::")[:-1]
    if folder or not is_mod:
        for m in re.finditer(r"\bsuper::(?:\{([^}]*)\}|([a-z_][a-z0-9_]*))", text):
            names = m.group(1).split(",") if m.group(1) else [m.group(2)]
            for n in names:
                n = n.strip().split("::")[0]
                if n:
                    found.add(longest(folder + [n]) or ("::".join(folder) or None))
    found.discard(None)
    found.discard(unit)
    return found


def layer_of(unit):
    for i, (_, patterns) in enumerate(LAYERS):
        if any(fnmatchcase(unit, p) for p in patterns):
            return i
    return None


def circles(graph):
    """Strongly connected components of more than one unit (Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    units = units_of(src)
    graph = {u: uses(u, p, units) for u, p in units.items()}
    problems = []
    for u in sorted(units):
        if layer_of(u) is None:
            problems.append(f"{units[u]}: unit {u} is in no layer of scripts/layers.py")
    for u in sorted(graph):
        lu = layer_of(u)
        for d in sorted(graph[u]):
            ld = layer_of(d)
            if lu is not None and ld is not None and ld > lu:
                problems.append(f"{u} ({LAYERS[lu][0]}) uses {d} ({LAYERS[ld][0]}), a layer above it")
    for comp in circles(graph):
        problems.append("circle: " + " <-> ".join(comp))
    # A folder is one module to a reader (and to cargo's privacy): the
    # top-level modules, each folder taken whole, form no circle either.
    top = {}
    for u, deps in graph.items():
        top.setdefault(u.split("::")[0], set()).update(d.split("::")[0] for d in deps)
    for t, deps in top.items():
        deps.discard(t)
    for comp in circles(top):
        problems.append("circle of top-level modules: " + " <-> ".join(comp))
    for p in problems:
        print(f"layers: {p}")
    edges = sum(len(v) for v in graph.values())
    print(f"layers: {len(units)} files, {edges} uses, {len(LAYERS)} layers, "
          f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
