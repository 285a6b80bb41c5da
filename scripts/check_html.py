#!/usr/bin/env python3
"""Opens exlog's HTML report in headless Chromium, as a person would, and
fails on anything a person would notice:

- a console message of level error or warning (a CSP violation among them),
- a request for anything but the file itself,
- a chart (inline SVG) that is missing, empty (no bars) or drawn at zero size,
- a page wider than the phone screen it is shown on (a table may scroll
  inside its own box; the page itself may not),
- at desktop width (1280 px), a table that needs scrolling sideways.

It saves screenshots at desktop width (1280 px) and phone width (390 px)
next to the page, as NAME.desktop.png and NAME.phone.png, and prints what
it checked. Driven through the DevTools protocol (the websocket-client
package); needs Debian's `chromium`.

    python3 scripts/check_html.py [--max-height PX] report.html [more.html ...]

--max-height cuts the screenshots (default 16000 px).
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    def __init__(self):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            sys.exit("check_html: chromium is not installed")
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="exlog-chromium-")
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
             f"--remote-debugging-port={self.port}", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json"))
                page = next(t for t in tabs if t["type"] == "page")
                break
            except Exception:
                time.sleep(0.1)
        else:
            sys.exit("check_html: chromium did not start")
        # No Origin header: Chromium 111+ refuses DevTools sockets from origins
        # it was not told to allow.
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mine:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_load(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        raise RuntimeError("the page did not load")

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


CHARTS = """
(() => Array.from(document.querySelectorAll('svg.chart')).map(s => {
  const r = s.getBoundingClientRect();
  return {w: r.width, h: r.height, bars: s.querySelectorAll(':scope > rect').length,
          label: s.getAttribute('aria-label')};
}))()
"""

PAGE_WIDTH = "document.documentElement.scrollWidth"

# Tables wider than their box, each named by the heading of its section.
WIDE_TABLES = """
(() => Array.from(document.querySelectorAll('div.scroll'))
  .filter(d => d.querySelector('table') && d.scrollWidth > d.clientWidth + 1)
  .map(d => {
    let h = d.previousElementSibling;
    while (h && h.tagName !== 'H2') h = h.previousElementSibling;
    return {section: h ? h.textContent : '?', width: d.scrollWidth, box: d.clientWidth};
  }))()
"""


MAX_HEIGHT = 16000


def check(path, browser):
    problems = []
    url = "file://" + os.path.abspath(path)
    browser.events.clear()
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(f"{domain}.enable")
    shots = {}
    for name, width, mobile in (("desktop", 1280, False), ("phone", 390, True)):
        browser.events.clear()
        browser.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                     deviceScaleFactor=1, mobile=mobile)
        browser.call("Page.navigate", url=url)
        browser.wait_load()
        time.sleep(0.3)
        charts = browser.call("Runtime.evaluate", expression=CHARTS, returnByValue=True)["result"]["value"]
        if not charts:
            problems.append(f"{name}: no chart on the page")
        for c in charts:
            if c["bars"] == 0 or c["w"] < 100 or c["h"] < 40:
                problems.append(f"{name}: empty or tiny chart {c['label']!r}: {c}")
        page_width = browser.call("Runtime.evaluate", expression=PAGE_WIDTH, returnByValue=True)["result"]["value"]
        if page_width > width + 1:
            problems.append(f"{name}: the page is {page_width} px wide on a {width} px screen")
        if not mobile:
            wide = browser.call("Runtime.evaluate", expression=WIDE_TABLES, returnByValue=True)["result"]["value"]
            for t in wide:
                problems.append(f"{name}: table under {t['section']!r} is {t['width']} px wide "
                                f"in a {t['box']} px box: it scrolls sideways")
        for e in browser.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                problems.append(f"{name}: console {p['type']}: {p.get('args')}")
            if m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                problems.append(f"{name}: {p['entry']['level']}: {p['entry'].get('text')}")
            if m == "Runtime.exceptionThrown":
                problems.append(f"{name}: exception: {p}")
            if m == "Network.requestWillBeSent":
                req = p["request"]["url"]
                if req != url and not req.startswith("data:"):
                    problems.append(f"{name}: requested {req}")
        metrics = browser.call("Page.getLayoutMetrics")
        height = min(int(metrics["cssContentSize"]["height"]), MAX_HEIGHT)
        shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        out = os.path.splitext(path)[0] + f".{name}.png"
        with open(out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        shots[name] = (out, len(charts), height)
    for name, (out, n, height) in shots.items():
        print(f"check_html: {path}: {name}: {n} charts, {height} px tall, screenshot {out}")
    return problems


def main():
    global MAX_HEIGHT
    args = sys.argv[1:]
    if args[:1] == ["--max-height"]:
        MAX_HEIGHT = int(args[1])
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    browser = Browser()
    try:
        problems = [p for path in args for p in check(path, browser)]
    finally:
        browser.close()
    for p in problems:
        print("check_html: FAIL:", p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
