"""Serve a sandbox peer over real HTTP on a free loopback port, for integration tests."""

import socket
import threading
from contextlib import contextmanager

import httpx
from werkzeug.serving import make_server


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LivePeer:
    def __init__(self, app, url):
        self.app = app
        self.url = url

    def fail(self, status=503, count=None, path=None):
        httpx.post(f"{self.url}/_sandbox/faults",
                   json={"mode": "error", "status": status, "count": count, "path": path})

    def slow(self, delay, count=None, path=None):
        httpx.post(f"{self.url}/_sandbox/faults",
                   json={"mode": "timeout", "delay": delay, "count": count, "path": path})

    def heal(self):
        httpx.post(f"{self.url}/_sandbox/faults", json={"mode": "clear"})


@contextmanager
def live_peer(create_app, config=None):
    """Run `create_app(config)` on a free port; yields a LivePeer with `.url` and `.app`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app({"PUBLIC_URL": url, **(config or {})})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LivePeer(app, url)
    finally:
        server.shutdown()
        thread.join(timeout=5)
