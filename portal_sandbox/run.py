"""Start every sandbox peer on its loopback port: `python -m portal_sandbox.run`."""

import argparse
import importlib
import logging
import os
import signal
import threading
from pathlib import Path

from werkzeug.serving import make_server

from portal_sandbox.mosip.state import CORRECTIONS_DEPLOYMENT

# peer name -> default port; the portal's demo defaults point at these.
PEERS = {
    "esignet": 8101,
    "openimis": 8102,
    "openspp": 8103,
    "mosip": 8104,
    "opencrvs": 8105,
}


def public_url(name, host="127.0.0.1", port=None):
    return f"http://{host}:{port or PEERS[name]}"


def build_app(name, config=None):
    module = importlib.import_module(f"portal_sandbox.{name}")
    return module.create_app(config)


# What the demo's peers are started with beyond their defaults: the demo MOSIP is a stock v1.3.0 plus the lines
# the README tells a deployment to add for corrections.
DEMO_CONFIG = {"mosip": {"MOSIP_PROPERTIES": CORRECTIONS_DEPLOYMENT}}

# Peers that keep their data in a file when run for the demo, so it survives a restart.
# Under the portal's instance folder when the demo gives it (PORTAL_INSTANCE_PATH), else ./instance.
DATA_DIR = Path(os.environ.get("PORTAL_INSTANCE_PATH") or "instance").resolve() / "sandbox"
PERSISTENT = {"openimis"}


def serve(name, host, port, config=None, persist=False):
    config = {"PUBLIC_URL": public_url(name, host, port), **(config or {})}
    if persist and name in PERSISTENT:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        config.setdefault("DATA_FILE", str(DATA_DIR / f"{name}.sqlite3"))
    server = make_server(host, port, build_app(name, config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{name}", daemon=True)
    thread.start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--only", action="append", choices=sorted(PEERS), help="start only these peers")
    args = parser.parse_args()
    # One line per request from five peers drowns the demo's own output; errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    servers = []
    for name in args.only or PEERS:
        servers.append(serve(name, args.host, PEERS[name], DEMO_CONFIG.get(name), persist=True))
        print(f"sandbox {name:9} {public_url(name, args.host)}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for server in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
