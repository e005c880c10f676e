"""Serve a sandbox peer over real HTTP on a free loopback port, for integration tests."""

import socket
import threading
from contextlib import contextmanager

import httpx
from werkzeug.serving import make_server


def free_port():
    """A port nobody listens on now (for an address that must refuse connections). To serve, use
    `listening_socket`: a port picked here may be taken by another process before it is bound."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_socket():
    """(socket, port): a loopback socket already bound and listening, so no other process can take the port
    between choosing it and serving on it (the app needs its URL before the server exists)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock, sock.getsockname()[1]


def serve_on(sock, app):
    """A threaded werkzeug server for `app` on the listening `sock`, serving in a daemon thread."""
    server = make_server("127.0.0.1", sock.getsockname()[1], app, threaded=True, fd=sock.fileno())
    sock.close()  # the server holds its own duplicate of the descriptor
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
    sock, port = listening_socket()
    url = f"http://127.0.0.1:{port}"
    try:
        app = create_app({"PUBLIC_URL": url, **(config or {})})
    except BaseException:
        sock.close()
        raise
    server = serve_on(sock, app)
    try:
        yield LivePeer(app, url)
    finally:
        server.shutdown()
        server.server_close()
