"""OpenCRVS webhook intake: signed webhooks accepted per second by the portal, beside two ceilings.

All on PostgreSQL (127.0.0.1:5432, a database of its own, dropped at the end), the same signed
BIRTH_REGISTERED deliveries and the same client load (`--clients` concurrent keep-alive connections) for
every target:

* PostgreSQL's own insert rate, one transaction per event (no HTTP), for the same rows: (a) the one
  inbound-event row the bare endpoint writes, and (b) the rows the portal writes for one event (packet,
  inbound event, timeline row, first job: the portal's own intake statement, run in autocommit as the portal
  runs it, bodies parsed beforehand).
* A bare Flask + psycopg endpoint under the same gunicorn that only inserts row (a).
* The portal under the same gunicorn, `POST /api/opencrvs/events`: signature check, FHIR parse, and the
  rows of (b) committed before the 202 (durable: `synchronous_commit` as the server has it).

Both servers start in the project directory, so gunicorn reads the same `gunicorn.conf.py` for both.

Targets run in turns (`--rounds`, tables emptied before each turn, servers warmed up first) so that a
noisy neighbour on a shared machine hits them all alike; each figure is the median of the rounds. The
load generator runs in this process and shares the machine's cores with the servers. The issue's target:
the portal reaches at least half of the bare endpoint's rate.

Run: `.venv/bin/python bench/intake.py [--events 3000] [--rounds 5] [--clients 16] [--gunicorn-workers 4]`
"""

import argparse
import json
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from _packets_common import (PYTHON, ROOT, database, free_port, psycopg_dsn, running, stop_on_sigterm, wait_up,
                             warn_if_busy)

SECRET = "bench-webhook-secret"
TARGET_SHARE = 0.5  # the issue: the portal reaches at least half of the bare endpoint's rate
INBOUND_ROW = ("INSERT INTO packet_inbound_events (channel, key, topic, source, payload, status, received_at)"
               " VALUES ('opencrvs', %s, 'BIRTH_REGISTERED', 'webhook', %s, 'accepted', now())")
TABLES = "packets, packet_inbound_events, packet_events, jobs"


def signed_bodies(count, seed):
    """`count` distinct BIRTH_REGISTERED deliveries, as OpenCRVS sends them (JSON.stringify + signature)."""
    from portal.clients.opencrvs.webhook import opencrvs_signature
    from portal_sandbox.opencrvs import bundles

    out = []
    for seq in range(count):
        bundle, _ = bundles.generate("birth", seq, seed=seed)
        payload = {"timestamp": "2025-01-01T00:00:00.000Z", "id": "bench",
                   "event": {"hub": {"topic": "BIRTH_REGISTERED"}, "context": [bundle]}}
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        out.append((body, opencrvs_signature(body, SECRET)))
    return out


def rate(pool, work, items):
    """Run `work(item)` over `items` on the pool's threads (the load's connections); items per second."""
    started = time.perf_counter()
    list(pool.map(work, items))
    return len(items) / (time.perf_counter() - started)


def per_thread(factory):
    """One `factory()` object per thread (a connection, an HTTP client), closed by the thread's end."""
    local = threading.local()

    def get():
        if not hasattr(local, "value"):
            local.value = factory()
        return local.value

    return get


# --- the two database ceilings ---------------------------------------------------------------------------
def pg_row_inserter(dsn):
    conn = per_thread(lambda: psycopg.connect(dsn))

    def insert(item):
        with conn().transaction():
            conn().execute(INBOUND_ROW, (uuid.uuid4().hex, item[0].decode()))

    return insert


def portal_rows(url, bodies):
    """The portal's own intake statement (packet + inbound event + timeline row + job in one statement) as SQL
    for psycopg, and its parameters for each body, computed now so that only the database is timed."""
    from portal import create_app
    from portal.extensions import db
    from portal.clients.opencrvs import webhook
    from portal.packets import pipeline

    app = create_app({"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        compiled = pipeline._intake_statement().compile(dialect=db.engine.dialect)
        params = []
        for body, _ in bodies:
            event = webhook.parse_event(body)
            params.append(compiled.construct_params(pipeline.intake_parameters(event, pipeline._packet_values(event))))
        db.engine.dispose()
    return str(compiled), params


def pg_portal_rows_inserter(dsn, sql):
    # one statement in autocommit, as the portal runs it
    conn = per_thread(lambda: psycopg.connect(dsn, autocommit=True))

    def insert(params):
        conn().execute(sql, params)

    return insert


# --- a bare endpoint: the same request, one INSERT ------------------------------------------------------
def bare_app():
    """gunicorn target (`intake:bare_app()`): `POST /` inserts the body as an inbound-event row, nothing else."""
    from flask import Flask, request

    app = Flask("bare")
    conn = per_thread(lambda: psycopg.connect(os.environ["BARE_DSN"]))

    @app.post("/")
    def insert():
        body = request.get_data()
        with conn().transaction():
            conn().execute(INBOUND_ROW, (uuid.uuid4().hex, body.decode()))
        return "", 202

    @app.get("/")
    def up():
        return "up"

    return app


def gunicorn_cmd(target, port, args, extra=()):
    # keep-alive longer than a round of the other targets: gunicorn's 2 s default closes the load's idle
    # connections between rounds, and a request racing that close is reset
    return [PYTHON, "-m", "gunicorn", "-w", str(args.gunicorn_workers), "--threads", str(args.threads),
            "-k", "gthread", "--keep-alive", "75", "-b", f"127.0.0.1:{port}", "--log-level", "warning", *extra, target]


def poster(url):
    client = per_thread(lambda: httpx.Client(timeout=30))

    def post(item):
        body, signature = item
        headers = {"Content-Type": "application/json", "X-Hub-Signature": signature}
        try:
            status = client().post(url, content=body, headers=headers).status_code
        except httpx.TransportError:  # a kept-alive connection closed under us: once more, as OpenCRVS retries
            status = client().post(url, content=body, headers=headers).status_code
        if status != 202:
            raise SystemExit(f"{url} answered {status}")

    return post


def truncate(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")


def intake(args):
    warn_if_busy()
    bodies = signed_bodies(args.events, seed=7)
    warmup = signed_bodies(args.warmup, seed=8)
    chunks = [bodies[r::args.rounds] for r in range(args.rounds)]
    with database("portal_bench_intake") as url:
        dsn = psycopg_dsn(url)
        sql, all_params = portal_rows(url, bodies)
        params_of = {id(body): p for (body, _), p in zip(bodies, all_params, strict=True)}
        bare_port, portal_port = free_port(), free_port()
        bare_env = {**os.environ, "BARE_DSN": dsn}
        portal_env = {**os.environ, "PORTAL_DEMO": "1", "DATABASE_URL": url, "PORTAL_OPENCRVS_WEBHOOK_SECRET": SECRET,
                      "PORTAL_LOG_LEVEL": "WARNING", "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{portal_port}"}
        with running(gunicorn_cmd("intake:bare_app()", bare_port, args, ("--pythonpath", str(ROOT / "bench"))),
                     bare_env), \
                running(gunicorn_cmd("portal:create_app()", portal_port, args), portal_env):
            bare_url, portal_url = f"http://127.0.0.1:{bare_port}/", f"http://127.0.0.1:{portal_port}/api/opencrvs/events"
            wait_up(bare_url)
            wait_up(f"http://127.0.0.1:{portal_port}/healthz")
            targets = {
                "pg_row": (pg_row_inserter(dsn), lambda chunk: chunk),
                "pg_portal_rows": (pg_portal_rows_inserter(dsn, sql),
                                   lambda chunk: [params_of[id(b)] for b, _ in chunk]),
                "bare": (poster(bare_url), lambda chunk: chunk),
                "portal": (poster(portal_url), lambda chunk: chunk),
            }
            rates = {name: [] for name in targets}
            stored = []
            # One pool for the whole run: each thread keeps its connection to every target between rounds.
            with ThreadPoolExecutor(args.clients) as pool:
                # warm every gunicorn worker and thread (app import, connections, compiled-statement caches)
                for name in ("bare", "portal"):
                    rate(pool, targets[name][0], warmup)
                for chunk in chunks:
                    for name, (work, items) in targets.items():
                        truncate(dsn)
                        rates[name].append(rate(pool, work, items(chunk)))
                        if name in ("pg_portal_rows", "portal"):  # one packet and one job per event, really
                            with psycopg.connect(dsn) as conn:
                                counts = conn.execute("SELECT (SELECT count(*) FROM packets),"
                                                      " (SELECT count(*) FROM jobs)").fetchone()
                                stored.append(counts == (len(chunk),) * 2)
            truncate(dsn)
    report(args, rates, all(stored), [len(c) for c in chunks])


def report(args, rates, stored, sizes):
    med = {name: statistics.median(values) for name, values in rates.items()}

    def line(label, name, note=""):
        values = rates[name]
        spread = f"({min(values):.0f}–{max(values):.0f})" if len(values) > 1 else ""
        print(f"  {label:44} {med[name]:7.0f} /s  {spread:13} {note}")

    print(f"{args.events} signed BIRTH_REGISTERED webhooks ({args.rounds} rounds of ~{sizes[0]}), "
          f"{args.clients} concurrent clients, gunicorn {args.gunicorn_workers} workers x {args.threads} threads "
          f"(gthread), PostgreSQL, median of rounds (min–max)")
    line("PostgreSQL: inbound-event row (ceiling)", "pg_row", "one transaction per event")
    line("PostgreSQL: the portal's rows (ceiling)", "pg_portal_rows", "packet + inbound + timeline + job")
    line("bare Flask + psycopg, one INSERT (ceiling)", "bare")
    # the rounds pair the targets in time: the share is the median of each round's portal/bare ratio
    share = statistics.median(p / b for p, b in zip(rates["portal"], rates["bare"], strict=True))
    line("portal POST /api/opencrvs/events", "portal",
         f"{share:.0%} of the bare endpoint "
         f"(target >= {TARGET_SHARE:.0%}: {'met' if share >= TARGET_SHARE else 'NOT MET'})")
    print(f"  one packet and one job stored per webhook, every round: {'yes' if stored else 'NO'}")


def main():
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000, help="timed webhooks per target, over all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="turns in which every target gets its share of events")
    parser.add_argument("--warmup", type=int, default=64, help="untimed webhooks sent to each server first")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections (threads) of the load")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per gunicorn worker")
    args = parser.parse_args()
    if args.events < args.rounds or args.rounds < 1:
        parser.error("--events must be at least --rounds (>= 1)")
    intake(args)


if __name__ == "__main__":
    main()
