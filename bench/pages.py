"""What a user gets over a 2G link, measured in Chromium: bytes on the wire and time to usable, per page, on a
first load (empty cache) and on a cached visit (the same page opened again), and what an idle packet dashboard
costs per minute.

The 2G profile is Chromium's own network emulation (CDP Network.emulateNetworkConditions: 300 ms latency,
250 kbit/s down and up). Bytes are what Chromium reports as received for each response, headers included
(Network.loadingFinished encodedDataLength), not computed; requests sent are not counted. "Usable" is
DOMContentLoaded (htmx is a deferred script: it has run by then, and the bench checks it is loaded), from the
Navigation Timing entry. The "cached" column opens the page again in the same tab, as following a link to it does.
The idle dashboard is watched, with nothing changing, for two windows of --idle seconds (60 by default) after it
has loaded, each scaled to a minute: the first, while its polls back off (5, 10, 20, 40 s), and the next, once
they have (every 60 s); the budget applies to the second, a dashboard left open.

Budgets (issue 13): first load <= 40 KB on the wire and usable <= 3 s; cached <= 1 s; idle dashboard <= 5 KB/min.
Run: `.venv/bin/python bench/pages.py [--idle SECONDS]` (starts the sandbox peers on free ports, a throwaway
SQLite and the portal on a loopback port, served by Werkzeug over HTTP/1.1; Debian's /usr/bin/chromium or
PORTAL_TEST_CHROMIUM).
"""

import argparse
import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from portal import create_app  # noqa: E402
from portal.auth.accounts import create_user  # noqa: E402
from portal.auth.models import ROLES  # noqa: E402
from portal.config import PROJECT_ROOT  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal_sandbox.run import PEERS, serve  # noqa: E402

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
TWO_G = {"offline": False, "latency": 300, "downloadThroughput": 250_000 / 8, "uploadThroughput": 250_000 / 8}
FIRST_LOAD_BYTES = 40 * 1024
FIRST_LOAD_SECONDS = 3.0
CACHED_SECONDS = 1.0
IDLE_BYTES_PER_MINUTE = 5 * 1024
PAGES = [  # (label, path, logged in)
    ("login", "/login", False),
    ("officer home", "/", True),
    ("registration form", "/registration/new", True),
    ("openSPP search", "/enrollment/", True),
    ("batches", "/enrollment/batches", True),
    ("packet dashboard", "/packets/", True),
]
PASSWORD = "bench-password-1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_peers():
    urls = {}
    for name in PEERS:
        port = free_port()
        serve(name, "127.0.0.1", port)
        urls[name] = f"http://127.0.0.1:{port}"
    return {
        "PORTAL_ESIGNET_ISSUER": urls["esignet"],
        "PORTAL_OPENIMIS_URL": urls["openimis"],
        "PORTAL_OPENSPP_URL": urls["openspp"],
        "PORTAL_MOSIP_URL": urls["mosip"],
        "PORTAL_MOSIP_WEBSUB_URL": urls["mosip"] + "/hub",
        "PORTAL_OPENCRVS_URL": urls["opencrvs"],
    }


def start_portal():
    workdir = Path(tempfile.mkdtemp())
    port = free_port()
    app = create_app({"PORTAL_DEMO": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
                      "RATELIMIT_ENABLED": False, "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
                      **start_peers()})
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
        # One user with every role, so that each page shows its whole navigation.
        create_user("bench", ROLES, PASSWORD, actor="bench")
        db.session.commit()
    WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, as a browser gets behind a proxy
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


class Wire:
    """Responses Chromium received over the (emulated) network, from CDP events."""

    def __init__(self, cdp):
        self.bytes = 0
        self.responses = 0
        cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event):
        length = int(event.get("encodedDataLength") or 0)
        if length:  # 0: served from the browser's cache
            self.bytes += length
            self.responses += 1

    def reset(self):
        self.bytes = self.responses = 0


def open_tab(browser, cookies=()):
    context = browser.new_context(locale="en-GB")
    if cookies:
        context.add_cookies(list(cookies))
    page = context.new_page()
    page.set_default_timeout(60_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", TWO_G)
    return context, page, Wire(cdp)


def visit(page, wire, url):
    """(bytes, responses, seconds to usable) of one navigation to `url`."""
    wire.reset()
    page.goto(url, wait_until="load")
    page.wait_for_function("() => typeof window.htmx === 'object'")
    usable = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd") / 1000
    page.wait_for_timeout(700)  # late responses (the favicon) finish after the load event
    return wire.bytes, wire.responses, usable


def watch_idle(page, wire, seconds):
    """(responses, bytes) the dashboard receives in `seconds` while nothing changes."""
    wire.reset()
    page.wait_for_timeout(seconds * 1000)
    return wire.responses, wire.bytes


def login_cookies(browser, base):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("bench")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    cookies = context.cookies()
    context.close()
    return cookies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=60, help="seconds to watch the idle dashboard")
    args = parser.parse_args()
    base = start_portal()
    over = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                   "--disable-component-update", "--disable-sync", "--no-first-run"])
        cookies = login_cookies(browser, base)
        print(f"2G: {TWO_G['latency']} ms, {TWO_G['downloadThroughput'] * 8 / 1000:.0f} kbit/s; bytes received as "
              "Chromium counts them (headers included)\n")
        print(f"{'page':20} {'first KB':>8} {'resp':>4} {'usable s':>8} {'cached KB':>9} {'resp':>4} {'usable s':>8}")
        for label, path, logged_in in PAGES:
            context, page, wire = open_tab(browser, cookies if logged_in else ())
            first = visit(page, wire, base + path)
            cached = visit(page, wire, base + path)
            flags = []
            if first[0] > FIRST_LOAD_BYTES:
                flags.append("first load over 40 KB")
            if first[2] > FIRST_LOAD_SECONDS:
                flags.append("first load over 3 s")
            if cached[2] > CACHED_SECONDS:
                flags.append("cached over 1 s")
            over += bool(flags)
            print(f"{label:20} {first[0] / 1024:>8.1f} {first[1]:>4} {first[2]:>8.2f} {cached[0] / 1024:>9.1f} "
                  f"{cached[1]:>4} {cached[2]:>8.2f}" + ("  OVER: " + ", ".join(flags) if flags else ""))
            if path == "/packets/":
                idle = [watch_idle(page, wire, args.idle) for _ in range(2)]
            context.close()
        browser.close()
    print()
    labels = ("first idle minute (backing off)", "the minute after (backed off)")
    for label, (responses, received) in zip(labels, idle, strict=True):
        per_minute = received * 60 / args.idle
        flag = "  OVER: 5 KB per minute" if per_minute > IDLE_BYTES_PER_MINUTE else ""
        print(f"idle packet dashboard, {label}: {responses} responses, {received / 1024:.1f} KB in "
              f"{args.idle:.0f} s = {per_minute / 1024:.1f} KB per minute{flag}")
    over += received * 60 / args.idle > IDLE_BYTES_PER_MINUTE  # the budget is for a dashboard left open
    print(f"budgets: first load <= 40 KB and <= {FIRST_LOAD_SECONDS:.0f} s, cached <= {CACHED_SECONDS:.0f} s, idle "
          f"dashboard <= 5 KB per minute; over budget: {over}")


if __name__ == "__main__":
    main()
