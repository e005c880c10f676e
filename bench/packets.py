"""OpenCRVS → MOSIP pipeline benchmarks on PostgreSQL (127.0.0.1:5432), each in a database of its own.

* `intake`: signed OpenCRVS webhooks accepted per second by the portal under gunicorn (stored durably with
  packet, timeline row and job), beside two ceilings measured in the same run with the same rows and the
  same client load: PostgreSQL's own insert rate (one transaction per event) and a bare Flask + psycopg
  endpoint under the same gunicorn that only inserts the row.
* `pipeline`: packets from webhook to "notified" per minute with the sandboxes at zero delay, for 1, 2
  and 4 worker processes (each a `flask worker`, one job at a time) against the same PostgreSQL.

Run: `.venv/bin/python bench/packets.py intake [--events 2000] [--clients 16] [--gunicorn-workers 4]`
     `.venv/bin/python bench/packets.py pipeline [--events 200] [--workers 1,2,4]`
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"
SECRET = "bench-webhook-secret"
PYTHON = sys.executable


# --- helpers --------------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database():
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        from flask_migrate import upgrade

        from portal import create_app
        from portal.config import PROJECT_ROOT

        app = create_app({"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
            from portal.extensions import db

            db.engine.dispose()
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def wait_up(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def signed_bodies(count, seed):
    """`count` distinct BIRTH_REGISTERED deliveries, as OpenCRVS sends them (JSON.stringify + signature)."""
    from portal.packets.intake import opencrvs_signature
    from sandbox.opencrvs import bundles

    out = []
    for seq in range(count):
        bundle, _ = bundles.generate("birth", seq, seed=seed)
        payload = {"timestamp": "2025-01-01T00:00:00.000Z", "id": "bench",
                   "event": {"hub": {"topic": "BIRTH_REGISTERED"}, "context": [bundle]}}
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        out.append((body, opencrvs_signature(body, SECRET)))
    return out


def fire(url, bodies, clients):
    """POST every body with `clients` concurrent connections; returns (accepted per second, statuses)."""
    local = threading.local()

    def send(item):
        client = getattr(local, "client", None) or setattr(local, "client", httpx.Client(timeout=30)) or local.client
        body, signature = item
        return client.post(url, content=body, headers={"Content-Type": "application/json",
                                                       "X-Hub-Signature": signature}).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(send, bodies))
    return len(bodies) / (time.perf_counter() - started), statuses


# --- a bare endpoint: the same request, one INSERT ------------------------------------------------------
def bare_app():
    """gunicorn target: `POST /` inserts the body as an inbound event row with psycopg, nothing else."""
    from flask import Flask, request

    app = Flask("bare")
    local = threading.local()
    dsn = os.environ["BARE_DSN"]

    @app.post("/")
    def insert():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(dsn)
        body = request.get_data()
        with conn.transaction():
            conn.execute("INSERT INTO packet_inbound_events (channel, key, topic, source, payload, status, received_at)"
                         " VALUES ('opencrvs', %s, 'BIRTH_REGISTERED', 'webhook', %s, 'accepted', now())",
                         (uuid.uuid4().hex, body.decode()))
        return "", 202

    return app


def gunicorn(target, port, env, workers, extra=()):
    cmd = [PYTHON, "-m", "gunicorn", "-w", str(workers), "--threads", "4", "-k", "gthread", "-b",
           f"127.0.0.1:{port}", "--log-level", "warning", *extra, target]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})


def intake(args):
    bodies = signed_bodies(args.events, seed=7)
    with database() as url:
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        # 1. PostgreSQL's own rate for the same rows, same concurrency, one transaction per event
        local = threading.local()

        def insert(item):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = psycopg.connect(dsn)
            with conn.transaction():
                conn.execute("INSERT INTO packet_inbound_events (channel, key, topic, source, payload, status,"
                             " received_at) VALUES ('ceiling', %s, 'BIRTH_REGISTERED', 'webhook', %s, 'accepted', now())",
                             (uuid.uuid4().hex, item[0].decode()))

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(insert, bodies))
        pg_rate = len(bodies) / (time.perf_counter() - started)

        # 2. bare Flask + psycopg under the same gunicorn
        port = free_port()
        bare = gunicorn("packets:bare_app()", port, {"BARE_DSN": dsn}, args.gunicorn_workers,
                        extra=("--pythonpath", str(ROOT / "bench")))
        try:
            wait_up(f"http://127.0.0.1:{port}/")
            bare_rate, statuses = fire(f"http://127.0.0.1:{port}/", bodies, args.clients)
            assert set(statuses) == {202}, set(statuses)
        finally:
            bare.terminate()
            bare.wait()

        # 3. the portal: signature check, parse, packet + timeline + job in one transaction
        port = free_port()
        env = {"PORTAL_DEMO": "1", "DATABASE_URL": url, "PORTAL_OPENCRVS_WEBHOOK_SECRET": SECRET,
               "PORTAL_LOG_LEVEL": "WARNING", "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        portal = gunicorn("portal:create_app()", port, env, args.gunicorn_workers)
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz")
            portal_rate, statuses = fire(f"http://127.0.0.1:{port}/api/opencrvs/events", bodies, args.clients)
            assert set(statuses) == {202}, set(statuses)
        finally:
            portal.terminate()
            portal.wait()
        with psycopg.connect(dsn) as conn:
            stored = conn.execute("SELECT count(*) FROM packets").fetchone()[0]
    print(f"{args.events} signed webhooks, {args.clients} concurrent clients, gunicorn {args.gunicorn_workers}x4 threads")
    print(f"  PostgreSQL inserts (ceiling)     {pg_rate:8.0f} /s")
    print(f"  bare Flask + psycopg (ceiling)   {bare_rate:8.0f} /s")
    print(f"  portal /api/opencrvs/events      {portal_rate:8.0f} /s   ({portal_rate / bare_rate:.0%} of the bare endpoint;"
          f" {stored} packets stored)")


# --- pipeline -------------------------------------------------------------------------------------------
def portal_config(url, public, mosip, crvs):
    return {"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING", "SQLALCHEMY_DATABASE_URI": url,
            "PORTAL_PUBLIC_URL": public, "PORTAL_MOSIP_URL": mosip, "PORTAL_MOSIP_WEBSUB_URL": f"{mosip}/hub",
            "PORTAL_MOSIP_CLIENT_ID": "mosip-crvs-client", "PORTAL_MOSIP_SECRET": "demo-mosip-secret",
            "PORTAL_MOSIP_PARTNER_ID": "opencrvs-partner", "PORTAL_MOSIP_WEBSUB_SECRET": "bench-websub",
            "PORTAL_MOSIP_PARTNER_KEY": str(ROOT / "sandbox" / "mosip" / "demo-partner-key.pem"),
            "PORTAL_OPENCRVS_URL": crvs, "PORTAL_OPENCRVS_WEBHOOK_SECRET": "demo-opencrvs-webhook-secret",
            "PORTAL_OPENCRVS_CLIENT_ID": "interop-portal", "PORTAL_OPENCRVS_CLIENT_SECRET": "demo-opencrvs-client-secret",
            "PORTAL_PACKETS_POLL_BASE": 0.05, "PORTAL_PACKETS_POLL_CAP": 1, "PORTAL_JOB_BACKOFF_BASE": 0}


def serve_child(config):
    """Hidden `_serve`: the portal with `config`, threaded werkzeug (a process of its own)."""
    from werkzeug.serving import make_server

    from portal import create_app

    port = int(config["PORTAL_PUBLIC_URL"].rsplit(":", 1)[1])
    make_server("127.0.0.1", port, create_app(config), threaded=True).serve_forever()


def worker_child(config, concurrency):
    from portal import create_app
    from portal.jobs import Worker

    Worker(create_app(config), concurrency=concurrency, idle_seconds=0.02).run()


def child(mode, config, *extra):
    return subprocess.Popen([PYTHON, __file__, mode, json.dumps(config), *map(str, extra)], cwd=ROOT)


def pipeline(args):
    from sandbox.mosip import create_app as create_mosip
    from sandbox.opencrvs import create_app as create_opencrvs
    from tests.peers import live_peer

    print(f"{args.events} births from OpenCRVS webhook to UIN token notified, sandboxes at zero delay")
    for workers in [int(w) for w in args.workers.split(",")]:
        with database() as url, live_peer(create_mosip, {"PROCESSING_DELAY": 0, "SEED": workers}) as mosip, \
                live_peer(create_opencrvs, {"SEED": workers}) as crvs:
            public = f"http://127.0.0.1:{free_port()}"
            config = portal_config(url, public, mosip.url, crvs.url)
            server = child("_serve", config)
            try:
                wait_up(f"{public}/healthz")
                subscribe = subprocess.run([PYTHON, __file__, "_subscribe", json.dumps(config)], cwd=ROOT)
                assert subscribe.returncode == 0
                emitted = httpx.post(f"{crvs.url}/_sandbox/emit", json={"kind": "birth", "count": args.events},
                                     timeout=600).json()
                assert all(d["status"] == 202 for d in emitted["deliveries"]), "webhooks refused"
                dsn = url.replace("postgresql+psycopg://", "postgresql://")
                started = time.perf_counter()
                pool = [child("_worker", config, 1) for _ in range(workers)]
                try:
                    with psycopg.connect(dsn, autocommit=True) as conn:
                        while True:
                            done = conn.execute("SELECT count(*) FROM packets WHERE state = 'notified'").fetchone()[0]
                            if done >= args.events:
                                break
                            if time.perf_counter() - started > args.timeout:
                                print(f"  timeout: {done}/{args.events} notified")
                                break
                            time.sleep(0.2)
                        # from the first step a worker took to the last notification (excludes process start-up)
                        first, last = conn.execute(
                            "SELECT (SELECT min(created_at) FROM packet_events WHERE step <> 'intake'),"
                            " (SELECT max(notified_at) FROM packets)").fetchone()
                    seconds = (last - first).total_seconds() if first and last else time.perf_counter() - started
                finally:
                    for worker in pool:
                        worker.terminate()
                        worker.wait()
                print(f"  {workers} worker process(es): {done / seconds * 60:8.0f} packets/min   ({done} in {seconds:.1f} s)")
            finally:
                server.terminate()
                server.wait()


def subscribe_child(config):
    from portal import create_app
    from portal.packets.cli import subscribe_opencrvs
    from portal.packets.handlers import subscribe_websub

    app = create_app(config)
    with app.app_context():
        subscribe_websub()
        subscribe_opencrvs()
        time.sleep(0.5)  # the hub's intent verification


def main():
    if len(sys.argv) > 2 and sys.argv[1] in ("_serve", "_worker", "_subscribe"):
        config = json.loads(sys.argv[2])
        {"_serve": lambda: serve_child(config), "_subscribe": lambda: subscribe_child(config),
         "_worker": lambda: worker_child(config, int(sys.argv[3]))}[sys.argv[1]]()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("intake")
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--gunicorn-workers", type=int, default=4)
    p = sub.add_parser("pipeline")
    p.add_argument("--events", type=int, default=200)
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    {"intake": intake, "pipeline": pipeline}[args.what](args)


if __name__ == "__main__":
    main()
