"""Page weight over a 2G link: bytes (gzip) and requests of every page, first load and htmx partials.

Budget: a first load at most 40 KB gzip including htmx and the stylesheet; each htmx partial at most 8 KB.
Run: `.venv/bin/python bench/pages.py` (starts the sandbox peers on free ports and a throwaway SQLite).
"""

import gzip
import re
import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.auth.accounts import create_user  # noqa: E402
from portal.auth.models import ROLES  # noqa: E402
from portal.config import PROJECT_ROOT  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal_sandbox.run import PEERS, serve  # noqa: E402

FIRST_LOAD_BUDGET = 40 * 1024
PARTIAL_BUDGET = 8 * 1024
ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+href|img[^>]+src)="(/[^"]+)"')


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


def gz(data):
    return len(gzip.compress(data, compresslevel=6))


def pages(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/api/", "/static", "/_")):
            yield rule.rule


def main():
    workdir = Path(tempfile.mkdtemp())
    app = create_app({"PORTAL_DEMO": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, **start_peers()})
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
        create_user("bench", ROLES, "bench-password-1", actor="bench")
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "bench-password-1"})
    asset_sizes = {}
    over = 0
    print(f"{'page':40} {'status':>6} {'html gz':>8} {'requests':>8} {'first load gz':>13} {'partial gz':>10}")
    for path in sorted(pages(app)):
        response = client.get(path)
        html = response.data
        assets = sorted(set(ASSET.findall(html.decode("utf-8", "replace"))))
        for asset in assets:
            if asset not in asset_sizes:
                asset_sizes[asset] = gz(client.get(asset).data)
        first_load = gz(html) + sum(asset_sizes[a] for a in assets)
        partial = client.get(path, headers={"HX-Request": "true"}).data
        partial_size = gz(partial) if partial != html else None
        flag = ""
        if first_load > FIRST_LOAD_BUDGET or (partial_size or 0) > PARTIAL_BUDGET:
            flag, over = "  OVER BUDGET", over + 1
        print(f"{path:40} {response.status_code:>6} {gz(html):>8} {1 + len(assets):>8} {first_load:>13} "
              f"{partial_size if partial_size is not None else '-':>10}{flag}")
    print("\nassets (gzip bytes):", ", ".join(f"{a} {s}" for a, s in sorted(asset_sizes.items())))
    print(f"budget: first load <= {FIRST_LOAD_BUDGET} B, partial <= {PARTIAL_BUDGET} B; pages over budget: {over}")


if __name__ == "__main__":
    main()
