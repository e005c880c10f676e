"""Benchmark: an openSPP → openIMIS enrollment batch through the portal, with 1, 2 and 4 workers.

For each worker count it prints the items per second of a batch of `--items` individuals, the sandbox
openIMIS's own ceiling for the same work measured in the same run (the same queries and mutations sent
directly with the openIMIS client by as many threads, without the portal: no database, no queue), their
ratio, and how fast the officer's pages answer while the batch runs (batch page, its progress fragment, a
search). A ratio near 1 means the portal's overhead is not what limits the batch.

    .venv/bin/python bench/enrollment.py                      # 500 items, workers 1,2,4, synchronous openIMIS
    .venv/bin/python bench/enrollment.py --items 1000 --workers 4 --mutation-delay 0.2
    DATABASE_URL=postgresql+psycopg://…/bench .venv/bin/python bench/enrollment.py   # queue on PostgreSQL

`--mutation-delay` makes the sandbox openIMIS run mutations in the background after that many seconds, as a
real openIMIS with Celery does (default: inline, the fastest openIMIS possible, the hardest test for the
portal's overhead). As in a deployment, the sandbox peers and `flask worker --concurrency N` run in their own
processes; the portal's pages are served from this one. Everything is on loopback ports and is stopped at
the end.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app, jobs  # noqa: E402
from portal.clients import openimis as openimis_api, peer  # noqa: E402
from portal.extensions import commit_or_retry_once, db  # noqa: E402
from tests.peers import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERVE = """
import json, sys
from werkzeug.serving import make_server
import importlib
name, port, config = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
app = importlib.import_module("sandbox." + name).create_app({"PUBLIC_URL": f"http://127.0.0.1:{port}", **config})
make_server("127.0.0.1", port, app, threaded=True).serve_forever()
"""


def start_peer(name, config):
    """A sandbox peer in its own process; returns (process, url) once it answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE, name, str(port), json.dumps(config)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"sandbox {name} did not start")

PASSWORD = "bench-password-123"


def eligible(app, count):
    with app.app_context():
        people = [p for p in peer("openspp").find() if p.birthdate and p.sex and p.family_name]
    if len(people) < count:
        raise SystemExit(f"openSPP has only {len(people)} complete individuals; raise --seed-size")
    return people[:count]


def ceiling(config, people, workers):
    """Items/s of the portal's openIMIS calls sent directly by `workers` threads."""
    client = openimis_api.from_config(config)
    product = next(p for p in client.products() if p.code == "SPC0001")
    officer = client.officers()[0]
    from portal.enrollment.mapping import to_insuree

    def one(person):
        fields = to_insuree(person)
        number = client.generate_insuree_number()
        client.find_insuree(number)
        key = str(uuid.uuid4())
        head = openimis_api.Insuree(last_name=fields.last_name, other_names=fields.other_names,
                                    gender_id=fields.gender_id, dob=fields.dob, chf_id=number, head=True,
                                    passport=fields.identification_number, type_of_id=fields.identification_type,
                                    phone=fields.phone, email=fields.email, json_ext=fields.json_ext)
        client.create_family(head, client_mutation_id=key, poverty=True, json_ext={"source": "bench"},
                             check_existing=False)
        client.wait_for_mutation(key)
        family = client.find_family_by_mutation(key)
        policy_key = str(uuid.uuid4())
        client.create_policy(family_id=family.id, product_id=product.id, officer_id=officer.id,
                             enroll_date=date.today(), client_mutation_id=policy_key, check_existing=False)
        client.wait_for_mutation(policy_key)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, people))
    return len(people) / (time.perf_counter() - started)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Sampler(threading.Thread):
    """Requests the officer's pages in a loop while the batch runs; keeps latencies in ms."""

    def __init__(self, url, batch_id):
        super().__init__(daemon=True)
        self.url, self.batch_id = url, batch_id
        self.stop = threading.Event()
        self.times = {"batch page": [], "progress": [], "search": []}
        self.errors = 0

    def run(self):
        with httpx.Client(base_url=self.url, timeout=30) as http:
            http.post("/login", data={"username": "bench", "password": PASSWORD})
            targets = [("batch page", f"/enrollment/batches/{self.batch_id}", {}),
                       ("progress", f"/enrollment/batches/{self.batch_id}/progress", {"HX-Request": "true"}),
                       ("search", "/enrollment/?q=Gurung", {})]
            while not self.stop.is_set():
                for name, path, headers in targets:
                    started = time.perf_counter()
                    response = http.get(path, headers=headers)
                    self.times[name].append((time.perf_counter() - started) * 1000)
                    self.errors += response.status_code != 200
                self.stop.wait(0.2)


def portal_run(args, imis_url, spp_url, people, workers, tmp):
    """Seconds for the portal to enroll `people` with `workers` worker threads, and the page latencies."""
    url = args.database_url or f"sqlite:///{tmp}/portal-{workers}.sqlite3"
    app = create_app({"PORTAL_DEMO": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "PORTAL_OPENIMIS_URL": imis_url, "PORTAL_OPENSPP_URL": spp_url,
                      "PORTAL_JOB_BACKOFF_BASE": 1, "PORTAL_LOG_LEVEL": "WARNING"})
    from flask_migrate import upgrade

    from portal.auth.accounts import create_user
    from portal.enrollment import batches

    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"), revision="heads")
        if args.database_url:  # a shared database: start from empty enrollment tables
            from portal.enrollment.models import EnrollmentBatch, EnrollmentClaim, EnrollmentItem
            for model in (EnrollmentClaim, EnrollmentItem, EnrollmentBatch):
                db.session.execute(db.delete(model))
            db.session.execute(db.delete(jobs.Job))
            db.session.commit()
        if db.session.scalar(db.text("select count(*) from users where username = 'bench'")) == 0:
            create_user("bench", ["social"], PASSWORD, actor="bench")
            db.session.commit()
        env = {**os.environ, "PORTAL_DEMO": "1", "DATABASE_URL": url, "PORTAL_OPENIMIS_URL": imis_url,
               "PORTAL_OPENSPP_URL": spp_url, "PORTAL_JOB_BACKOFF_BASE": "1", "PORTAL_LOG_LEVEL": "WARNING",
               "PORTAL_PEER_CHECK_SECONDS": "3600"}
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "worker", "--concurrency",
                                   str(workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(3)  # the worker is up and idle before the batch exists: its start-up is not measured
        client = peer("openimis")
        product = next(p for p in client.products() if p.code == "SPC0001")
        officer = client.officers()[0]
        created = time.perf_counter()
        batch = commit_or_retry_once(lambda: batches.create_batch(
            source="ui", created_by="bench", entries=[(p, {}, None) for p in people],
            product=(product.id, product.code, product.name), officer=(officer.id, officer.code, officer.name),
            enroll_date=date.today()))
        batch_id, create_ms = batch.id, (time.perf_counter() - created) * 1000

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sampler = Sampler(f"http://127.0.0.1:{port}", batch_id)
    started = time.perf_counter()
    sampler.start()
    try:
        with app.app_context():
            while True:
                counts = batches.batch_counts(batch_id)
                db.session.remove()
                if not counts["waiting"]:
                    break
                if worker.poll() is not None:
                    raise SystemExit("the worker stopped")
                time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        sampler.stop.set()
        sampler.join()
        server.shutdown()
    with app.app_context():
        db.engine.dispose()
    return seconds, counts, sampler, create_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    parser.add_argument("--mutation-delay", type=float, default=None,
                        help="sandbox openIMIS runs mutations in the background after this delay (s)")
    parser.add_argument("--seed-size", type=int, default=None, help="individuals in the sandbox openSPP")
    parser.add_argument("--database-url", default=None, help="portal database (default: a fresh SQLite per run)")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]
    imis_config = {"ASYNC_MUTATIONS": args.mutation_delay is not None, "MUTATION_DELAY": args.mutation_delay or 0}
    seed_size = args.seed_size or max(1000, int(args.items * 1.25))
    print(f"enrollment benchmark: {args.items} items, workers {worker_counts}, openIMIS "
          f"{'async, delay %.2fs' % args.mutation_delay if args.mutation_delay is not None else 'inline'}, "
          f"portal DB {'given' if args.database_url else 'SQLite'}", flush=True)
    rows = []
    peers = []
    try:
        spp_process, spp_url = start_peer("openspp", {"SEED_SIZE": seed_size})
        peers.append(spp_process)
        with tempfile.TemporaryDirectory() as tmp:
            probe = create_app({"PORTAL_DEMO": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/probe.sqlite3",
                                "PORTAL_OPENSPP_URL": spp_url, "PORTAL_LOG_LEVEL": "WARNING"})
            people = eligible(probe, args.items)
            for workers in worker_counts:
                # A fresh openIMIS for each measurement: its look-ups slow down as it fills up.
                imis_process, imis_url = start_peer("openimis", imis_config)
                peers.append(imis_process)
                direct = ceiling({**probe.config, "PORTAL_OPENIMIS_URL": imis_url}, people, workers)
                imis_process, imis_url = start_peer("openimis", imis_config)
                peers.append(imis_process)
                seconds, counts, sampler, create_ms = portal_run(args, imis_url, spp_url, people, workers, tmp)
                through = counts["done"] / seconds
                rows.append((workers, counts, seconds, through, direct, create_ms, sampler))
                print(f"  {workers} worker(s): {counts['done']}/{args.items} done, {counts['failed']} failed in "
                      f"{seconds:.1f}s → {through:.1f} items/s (openIMIS alone {direct:.1f}/s, "
                      f"ratio {through / direct:.2f})", flush=True)
    finally:
        for process in peers:
            process.terminate()
            process.wait(timeout=10)
    print()
    print("workers  items/s  openIMIS/s  ratio  batch created  | page latency p50/p95/max ms while running")
    for workers, _counts, _seconds, through, direct, create_ms, sampler in rows:
        pages = "  ".join(
            f"{name} {percentile(t, 50):.0f}/{percentile(t, 95):.0f}/{max(t) if t else float('nan'):.0f}"
            for name, t in sampler.times.items())
        print(f"{workers:>7}  {through:7.1f}  {direct:10.1f}  {through / direct:5.2f}  {create_ms:10.0f} ms  | "
              f"{pages}  ({sampler.errors} errors, {len(sampler.times['progress'])} samples)")


if __name__ == "__main__":
    main()
