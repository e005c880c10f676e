"""Peer clients: one package per peer (`esignet`, `openimis`, `openspp`, `mosip`, `opencrvs`), the only code that
knows that peer's wire format; `http.py` is the HTTP layer they share, `errors.py` the errors the job queue reads.

Each app holds one client per peer in `app.extensions["peers"]` (set up by `create_app`): a client keeps its tokens,
discovery document, keys and connection pool for the app's life. `peer(name)` gives the current app's client, built
from the app's configuration the first time it is asked for, not at start-up: building an httpx.Client costs about
40 ms (its TLS context), and most of the ~2,000 apps the test suite builds use one peer or none.
"""

import threading
from pathlib import Path

from flask import current_app

# The demo's eSignet key, generated once into the instance folder (outside demo mode the key is a setting).
DEMO_ESIGNET_KEY_FILE = "esignet_demo_key.json"


class Peers:
    """The clients of one app, built on first use under a lock (clients are thread-safe once built)."""

    def __init__(self, app):
        self.app = app
        self._clients = {}
        self._lock = threading.Lock()

    def get(self, name):
        client = self._clients.get(name)
        if client is None:
            with self._lock:
                client = self._clients.get(name)
                if client is None:
                    client = self._clients[name] = BUILDERS[name](self.app)
        return client


def init_app(app):
    app.extensions["peers"] = Peers(app)


def peer(name):
    """The current app's client of `name` ("esignet", "openimis", "openspp", "mosip" or "opencrvs")."""
    return current_app.extensions["peers"].get(name)


def esignet_private_key(app):
    """PORTAL_ESIGNET_PRIVATE_KEY, or in demo mode a key generated once into the instance folder."""
    from portal.clients import esignet

    if app.config.get("PORTAL_ESIGNET_PRIVATE_KEY"):
        return app.config["PORTAL_ESIGNET_PRIVATE_KEY"]
    if app.config.get("PORTAL_DEMO"):
        return str(esignet.ensure_demo_key(Path(app.instance_path) / DEMO_ESIGNET_KEY_FILE))
    raise esignet.ConfigurationError("PORTAL_ESIGNET_PRIVATE_KEY is not set.")


def _esignet(app):
    from portal.clients import esignet

    return esignet.from_config({**app.config, "PORTAL_ESIGNET_PRIVATE_KEY": esignet_private_key(app)})


def _from_config(package):
    def build(app):
        from importlib import import_module

        return import_module(f"portal.clients.{package}").from_config(app.config)

    return build


BUILDERS = {"esignet": _esignet, "openimis": _from_config("openimis"), "openspp": _from_config("openspp"),
            "mosip": _from_config("mosip"), "opencrvs": _from_config("opencrvs")}
