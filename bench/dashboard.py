"""Supervisor dashboard with 100,000 packets: response times (median, p95) of the page and of every htmx panel.

Fills a fresh database with `--packets` packets (default 100,000) and their timeline rows, bulk-loaded
(PostgreSQL `COPY`, SQLite `executemany`) to the schema of `portal/packets/models.py`: births and deaths
(4:1) received evenly over `--days` days, most `notified`, the latest still moving along the path, 1.5 %
failed (with attempts and a reason; some retried by a supervisor once), 1 % rejected (by MOSIP or a
supervisor), 5 % of the last two days' stuck in MOSIP processing, 10 % of the last six hours' retrying;
a timeline row per transition and note along each packet's path (about 7 per packet). PostgreSQL gets
`VACUUM ANALYZE` (what autovacuum does soon after such a load); SQLite gets nothing, as in the demo.

Then, logged in as a supervisor through the app's test client (no network: the figures are the portal's
own time, queries included), it requests the dashboard page and each panel it polls (`/packets/panels/…`,
with `HX-Request`, without the version parameter, so each answer is a full render; one row shows the
usual poll that finds nothing new and answers 204), in several filter variants, plus a packet page and
its timeline panel. Per URL: status, size, median and p95 over `--repeat` requests, SQL statements per
request, their time, and the slowest one's. An answer whose p95 is over `--slow-ms` (500) is flagged and
the plan of its slowest statement printed (PostgreSQL `EXPLAIN (ANALYZE, BUFFERS)`, SQLite `EXPLAIN QUERY
PLAN`); `--explain-ms 20` prints plans of faster statements too.

Run: `.venv/bin/python bench/dashboard.py [--packets 100000] [--repeat 20] [--backends postgresql,sqlite]`
PostgreSQL on 127.0.0.1:5432 (trust auth); its database and the SQLite file are made and removed here.
"""

import argparse
import math
import random
import re
import sqlite3
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg

from _packets_common import database, migrate, psycopg_dsn, stop_on_sigterm, warn_if_busy

PACKET_COLUMNS = (
    "id", "kind", "event_key", "topic", "source", "state", "step", "retry_from", "tracking_id",
    "registration_number", "mosip_aid", "rid", "process", "mosip_source", "workflow_instance_id", "mosip_status",
    "uin_token", "opencrvs_event_id", "action_id", "error_code", "error_message", "attempts", "polls", "retries",
    "error_notified", "received_at", "state_changed_at", "uin_issued_at", "notified_at", "updated_at")
EVENT_COLUMNS = ("id", "packet_id", "created_at", "step", "state", "detail", "attempt")
# (step that moves the packet there, state) along each path, as portal/packets/handlers/ writes them
BIRTH_STEPS = (("intake", "received"), ("mosip.create_packet", "packet_created"), ("mosip.trigger", "synced"),
               ("mosip.status", "processing"), ("mosip.credential", "uin_issued"), ("opencrvs.notify", "notified"))
DEATH_STEPS = (("intake", "received"), ("mosip.deactivate", "deactivation_requested"),
               ("mosip.status", "deactivated"), ("opencrvs.notify", "notified"))
FAILURES = (  # (error_code, error_message) of a step that died after its attempts
    ("TransientPeerError", "MOSIP answered 503 Service Unavailable (8 attempts)"),
    ("PermanentPeerError", "createPacket refused: KER-IOV-004 invalid input parameter - dateOfBirth"),
    ("ReadTimeout", "the OpenCRVS mediator did not answer within 10 s (8 attempts)"),
    ("PermanentPeerError", "workflowinstance refused: RPR-WIN-002 duplicate registration id"),
)
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PASSWORD = "bench-supervisor-pw-1"


# --- the data ----------------------------------------------------------------------------------------------
def tracking_id(i, kind):
    """Seven characters like OpenCRVS's (B/D + 6), distinct for every i < 36**6 (an odd multiplier prime to 3)."""
    n, out = (i * 2654435761) % 36 ** 6, ""
    for _ in range(6):
        n, r = divmod(n, 36)
        out = BASE36[r] + out
    return ("B" if kind == "birth" else "D") + out


def generate(count, days, now, seed=20240601):
    """Yields (packet row, [timeline rows]) for packets 1..count (see the module docstring for the mix)."""
    rng = random.Random(seed)
    event_id = 0
    for i in range(1, count + 1):
        kind = "birth" if rng.random() < 0.8 else "death"
        steps = BIRTH_STEPS if kind == "birth" else DEATH_STEPS
        age = rng.random() * days * 86400
        received = now - timedelta(seconds=age)
        # seconds from the event to the UIN (median 4 min, p95 about 35 min), then a few seconds to notify OpenCRVS
        to_uin = min(rng.lognormvariate(math.log(240), 1.3), 20 * 3600)
        last = len(steps) - 1
        times = [received + timedelta(seconds=to_uin * k / (last - 1) * rng.uniform(0.8, 1.0)) for k in range(last)]
        times[0] = received
        times.append(times[-1] + timedelta(seconds=rng.uniform(0.5, 5)))
        tid = tracking_id(i, kind)
        row = {
            "id": i, "kind": kind, "topic": "BIRTH_REGISTERED" if kind == "birth" else "DEATH_REGISTERED",
            "source": "webhook" if rng.random() < 0.9 else "interop", "tracking_id": tid,
            "registration_number": f"{received.year}{tid}", "process": "CRVS_NEW" if kind == "birth" else "CRVS_DEATH",
            "mosip_source": "OPENCRVS", "mosip_aid": f"{rng.getrandbits(90):029d}"[:29] if rng.random() < 0.3 else None,
            "step": None, "retry_from": None, "rid": None, "workflow_instance_id": None, "mosip_status": None,
            "uin_token": None, "opencrvs_event_id": None, "action_id": None, "error_code": None, "error_message": None,
            "attempts": 1, "polls": 0, "retries": 0, "error_notified": False, "received_at": received,
            "uin_issued_at": None, "notified_at": None,
        }
        row["event_key"] = f"{row['topic']}:{uuid.UUID(int=rng.getrandbits(128))}"
        if row["source"] == "interop":
            row["opencrvs_event_id"], row["action_id"] = str(uuid.UUID(int=rng.getrandbits(128))), str(uuid.UUID(int=i))
        events = []

        def add(step, state, at, detail, attempt=1, events=events, packet_id=i):  # this packet's list and id
            nonlocal event_id
            event_id += 1
            events.append((event_id, packet_id, at, step, state, detail, attempt))

        # where this packet ended: most went all the way; a few failed, were rejected, stuck or retrying
        r = rng.random()
        reached = max(k for k, t in enumerate(times) if t <= now)
        outcome = "normal"
        if r < 0.010 and reached >= 2:
            outcome, reached = "rejected", min(reached, last - 2)
        elif r < 0.025 and reached >= 1:
            outcome, reached = "failed", rng.randrange(0, min(reached, last))
        elif r < 0.075 and 3600 < age < 2 * 86400 and reached >= last - 2:  # 5 % of the last two days
            outcome, reached = "stuck", last - 2
        elif r < 0.175 and age < 6 * 3600 and reached >= 1:  # 10 % of the last six hours
            outcome, reached = "retrying", rng.randrange(0, min(reached, last))
        for k in range(reached + 1):
            step, state = steps[k]
            detail = {
                "intake": f"{row['topic']} received from OpenCRVS ({row['source']})",
                "mosip.create_packet": f"packet {row['process']}/OPENCRVS created",
                "mosip.trigger": "workflow instance started",
                "mosip.status": ("MOSIP status PROCESSING" if kind == "birth"
                                 else "MOSIP status PROCESSED: UIN deactivated"),
                "mosip.credential": "UIN issued (credential); returning token",
                "mosip.deactivate": "death packet sent for deactivation",
                "opencrvs.notify": "OpenCRVS has the outcome",
            }[step]
            add(step, state, times[k], detail)
            if k == 0 and kind == "birth" or step == "mosip.deactivate":
                add("mosip.rid", state, times[k] + timedelta(milliseconds=200), "RID generated (remote)")
        state = steps[reached][1]
        changed = times[reached]
        if reached >= 1:
            row["rid"] = f"10001{10001 + i // 100000:05d}{i % 100000:05d}{received:%Y%m%d%H%M%S}"
        if reached >= (2 if kind == "birth" else 1):
            row["workflow_instance_id"] = str(uuid.UUID(int=rng.getrandbits(128)))
            row["mosip_status"] = "PROCESSING"
        if reached >= last - 1:  # UIN issued / death deactivated (a failure after it keeps the time)
            row["uin_issued_at"] = times[last - 1]
            row["mosip_status"] = "PROCESSED"
            if kind == "birth":
                row["uin_token"] = f"{rng.getrandbits(160):040x}"
        if state == "notified":
            row["notified_at"] = times[last]
        if outcome == "failed":
            failing_step = steps[reached + 1][0]
            code, message = FAILURES[rng.randrange(len(FAILURES))] if failing_step != "opencrvs.notify" else FAILURES[2]
            at = changed
            for attempt in range(1, 8):
                at += timedelta(seconds=min(3600, 5 * 2 ** attempt))
                add(failing_step, "retrying", at, f"attempt {attempt} failed, will retry: {message}", attempt)
            at += timedelta(seconds=rng.uniform(1, 60))
            add(failing_step, "failed", at, message, 8)
            row.update(step=failing_step, retry_from=state, error_code=code, error_message=message, attempts=8)
            state, changed = "failed", at
            if rng.random() < 0.2:  # a supervisor retried it once already, and it failed again
                row["retries"] = 1
                add("supervisor.retry", "retrying", at + timedelta(minutes=5), "retried by a supervisor", 1)
                add(failing_step, "failed", at + timedelta(minutes=6), message, 8)
                changed = at + timedelta(minutes=6)
            if changed > now:
                changed = now - timedelta(seconds=rng.uniform(1, 60))
        elif outcome == "rejected":
            changed = times[reached] + timedelta(seconds=rng.uniform(5, 600))
            if rng.random() < 0.9:
                row.update(error_code="REJECTED", error_message="MOSIP did not process the packet (status REJECTED)",
                           mosip_status="REJECTED", step="mosip.status")
                add("mosip.status", "rejected", changed, "MOSIP status REJECTED")
            else:
                reason = "duplicate of an earlier registration (checked with the registrar)"
                row.update(error_code="REJECTED_BY_SUPERVISOR", error_message=reason, step="supervisor.reject")
                add("supervisor.reject", "rejected", changed, reason)
            if changed + timedelta(seconds=3) < now:
                row["error_notified"] = True
                add("opencrvs.notify", "rejected", changed + timedelta(seconds=3),
                    "the error was sent back to OpenCRVS")
            state = "rejected"
        elif outcome == "stuck":  # MOSIP lost it: polled for hours without an answer
            polls = rng.randrange(20, 200)
            row.update(polls=polls, step="mosip.status")
            add("mosip.status", state, changed + timedelta(minutes=30), f"MOSIP status PROCESSING ({polls} polls)")
        elif outcome == "retrying":
            failing_step = steps[reached + 1][0]
            add(failing_step, "retrying", changed + timedelta(seconds=5),
                "attempt 1 failed, will retry: MOSIP answered 503")
            row.update(step=failing_step, retry_from=state, attempts=2,
                       error_code="TransientPeerError", error_message="MOSIP answered 503 Service Unavailable")
            state = "retrying"
            changed = min(changed + timedelta(seconds=5), now)
        else:  # the step in progress, or the last one run
            row["step"] = steps[min(reached + 1, last)][0]
        row.update(state=state, state_changed_at=changed, updated_at=changed)
        yield tuple(row[c] for c in PACKET_COLUMNS), events


# --- loading -----------------------------------------------------------------------------------------------
def fill_postgresql(url, packets, days, now):
    with psycopg.connect(psycopg_dsn(url), autocommit=True) as conn:
        with conn.transaction(), conn.cursor() as cur:
            timeline = []
            with cur.copy(f"COPY packets ({', '.join(PACKET_COLUMNS)}) FROM STDIN") as copy:
                for row, events in generate(packets, days, now):
                    copy.write_row(row)
                    timeline.extend(events)
            with cur.copy(f"COPY packet_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for event in timeline:
                    copy.write_row(event)
            for table in ("packets", "packet_events"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("VACUUM ANALYZE packets, packet_events")
        return len(timeline)


def fill_sqlite(path, packets, days, now):
    def sql_value(value):  # SQLAlchemy's SQLite DateTime text, booleans as 0/1
        if hasattr(value, "strftime"):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return int(value) if isinstance(value, bool) else value

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        rows, timeline = [], []
        for row, events in generate(packets, days, now):
            rows.append(tuple(map(sql_value, row)))
            timeline.extend(tuple(map(sql_value, e)) for e in events)
        with conn:
            conn.executemany(f"INSERT INTO packets ({', '.join(PACKET_COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(PACKET_COLUMNS))})", rows)
            conn.executemany(f"INSERT INTO packet_events ({', '.join(EVENT_COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(EVENT_COLUMNS))})", timeline)
    finally:
        conn.close()
    return len(timeline)


@contextmanager
def filled(backend, args, now):
    """A database of `backend` with the packets; yields (SQLAlchemy URL, timeline rows, seconds to fill)."""
    if backend == "postgresql":
        with database("portal_bench_dashboard") as url:
            started = time.perf_counter()
            events = fill_postgresql(url, args.packets, args.days, now)
            yield url, events, time.perf_counter() - started
        return
    with tempfile.TemporaryDirectory(prefix="portal-bench-dashboard-") as workdir:
        path = Path(workdir) / "dashboard.sqlite3"
        url = f"sqlite:///{path}"
        migrate(url)
        started = time.perf_counter()
        events = fill_sqlite(path, args.packets, args.days, now)
        yield url, events, time.perf_counter() - started


# --- measuring ---------------------------------------------------------------------------------------------
class Statements:
    """Every SQL statement the app sends, with its parameters and duration (SQLAlchemy engine events)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.log = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.log.append((statement, parameters, (time.perf_counter() - conn.info.pop("bench_started")) * 1000))

    def take(self):
        log, self.log = self.log, []
        return log


def targets(sample):
    """(label, URL, htmx?) of the dashboard page, its panels in several filter variants, and a packet page."""
    q, packet = sample["tracking_id"], sample["id"]
    return [
        ("page /packets/", "/packets/", False),
        ("page, 30-day chart", "/packets/?window=30d", False),
        ("page, search by tracking id", f"/packets/?q={q}", False),
        ("counts", "/packets/panels/counts", True),
        ("counts, poll with nothing new (204)", "/packets/panels/counts?v={counts_version}", True),
        ("throughput 24 h", "/packets/panels/throughput", True),
        ("throughput 7 d", "/packets/panels/throughput?window=7d", True),
        ("throughput 30 d", "/packets/panels/throughput?window=30d", True),
        ("throughput 30 d, births", "/packets/panels/throughput?window=30d&kind=birth", True),
        ("failures", "/packets/panels/failures", True),
        ("failures, deaths", "/packets/panels/failures?kind=death", True),
        ("failures, page 10", "/packets/panels/failures?fpage=10", True),
        ("list, newest", "/packets/panels/list", True),
        ("list, births processing", "/packets/panels/list?kind=birth&state=processing", True),
        ("list, notified", "/packets/panels/list?state=notified", True),
        ("list, stuck only", "/packets/panels/list?stuck=1", True),
        ("list, search tracking id", f"/packets/panels/list?q={q}", True),
        ("list, search RID", f"/packets/panels/list?q={sample['rid']}", True),
        ("list, search no match", "/packets/panels/list?q=NOSUCH1", True),
        ("list, page 40", "/packets/panels/list?page=40", True),
        ("list, page 1000 (offset 25k)", "/packets/panels/list?page=1000", True),
        ("packet page", f"/packets/{packet}", False),
        ("timeline panel", f"/packets/{packet}/timeline", True),
    ]


def measure(backend, url, args):
    from sqlalchemy import text

    from portal import create_app
    from portal.auth.accounts import create_user
    from portal.extensions import db

    app = create_app({"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING", "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        create_user("bench-supervisor", ["supervisor"], PASSWORD, actor="bench")
        db.session.commit()
        sample = db.session.execute(text(
            "SELECT id, tracking_id, rid FROM packets WHERE state = 'notified' AND kind = 'birth' ORDER BY id LIMIT 1"
            " OFFSET :n"), {"n": args.packets // 3}).mappings().one()
        statements = Statements(db.engine)
    client = app.test_client()
    login = client.post("/login", data={"username": "bench-supervisor", "password": PASSWORD})
    if login.status_code not in (302, 303):
        raise SystemExit(f"login failed: {login.status_code}")

    results = []
    for label, path, htmx in targets(sample):
        if "{counts_version}" in path:  # the version the page holds now (it moves with the oldest packet's age)
            counts = client.get("/packets/panels/counts", headers={"HX-Request": "true"}).get_data(as_text=True)
            path = path.format(counts_version=re.search(r'id="counts-v" name="v" value="([0-9a-f]+)"', counts)[1])
        headers = {"HX-Request": "true"} if htmx else {}
        times, per_request, sql_ms, slowest = [], [], [], {}
        for n in range(args.warmup + args.repeat):
            statements.take()
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            log = statements.take()
            if n < args.warmup:
                continue
            times.append(elapsed)
            per_request.append(len(log))
            sql_ms.append(sum(ms for _, _, ms in log))
            for statement, params, ms in log:
                slowest.setdefault(statement, ([], params))[0].append(ms)
        status, size = response.status_code, len(response.data)
        top = max(slowest.items(), key=lambda kv: statistics.median(kv[1][0]), default=None)
        results.append({
            "label": label, "path": path, "status": status, "kb": size / 1024,
            "median": statistics.median(times), "p95": percentile(times, 0.95),
            "queries": statistics.median(per_request), "sql_ms": statistics.median(sql_ms),
            "top_ms": statistics.median(top[1][0]) if top else 0.0,
            "top_sql": top[0] if top else None, "top_params": top[1][1] if top else None,
        })
    report(backend, results, args)
    slow = sorted((r for r in results if r["top_sql"] and (r["p95"] > args.slow_ms or r["top_ms"] > args.explain_ms)),
                  key=lambda r: -r["top_ms"])
    shown = set()
    for result in slow:
        if result["top_sql"] in shown or len(shown) >= args.plans:
            continue
        shown.add(result["top_sql"])
        explain(app, backend, result)
    with app.app_context():
        db.engine.dispose()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


def report(backend, results, args):
    print(f"\n{backend}: {args.repeat} requests each after {args.warmup} warm-up (test client, logged-in supervisor)")
    print(f"  {'what':38} {'status':>6} {'KB':>5} {'median ms':>9} {'p95 ms':>7} {'SQL n':>5} {'SQL ms':>7} "
          f"{'slowest':>7}  url")
    for r in results:
        flag = f"  SLOW (p95 > {args.slow_ms:.0f} ms)" if r["p95"] > args.slow_ms else ""
        print(f"  {r['label']:38} {r['status']:>6} {r['kb']:>5.1f} {r['median']:>9.1f} {r['p95']:>7.1f} "
              f"{r['queries']:>5.0f} {r['sql_ms']:>7.1f} {r['top_ms']:>7.1f}  {r['path']}{flag}")
    print("  (median and p95 of the whole answer; SQL n, SQL ms: statements per answer and their time, medians;"
          " slowest: the median of its slowest statement)")
    if backend == "sqlite":
        print("  (SQLite: a statement's time covers the work before its first row; sqlite3 does the rest as rows are"
              " fetched, which counts in the answer's time only)")


def explain(app, backend, result):
    from portal.extensions import db

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgresql" else "EXPLAIN QUERY PLAN "
    with app.app_context():
        rows = db.session.connection().exec_driver_sql(prefix + result["top_sql"], result["top_params"]).all()
        db.session.rollback()
    sql = " ".join(result["top_sql"].split())
    print(f"\n  {result['label']} ({result['path']}): slowest statement {result['top_ms']:.1f} ms median\n    {sql}")
    for row in rows:
        print("      " + " | ".join(str(v) for v in row))


def main():
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packets", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90, help="the packets are received over this many days")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per URL")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per URL first")
    parser.add_argument("--backends", default="postgresql", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--slow-ms", type=float, default=500.0,
                        help="flag a URL whose p95 is above this, and print the plan of its slowest statement")
    parser.add_argument("--explain-ms", type=float, default=float("inf"),
                        help="also print the plan of any URL's slowest statement slower than this (median)")
    parser.add_argument("--plans", type=int, default=4, help="at most this many plans per backend")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(backends) <= {"postgresql", "sqlite"} or not backends:
        parser.error("--backends takes postgresql and/or sqlite")
    from portal.timeutil import utcnow

    warn_if_busy()
    for backend in backends:
        now = utcnow()
        with filled(backend, args, now) as (url, events, seconds):
            print(f"{backend}: {args.packets} packets and {events} timeline rows loaded in {seconds:.1f} s")
            mix(backend, url)
            measure(backend, url, args)


def mix(backend, url):
    """One line on what was loaded: packets per state (births/deaths)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT state, kind, count(*) FROM packets GROUP BY state, kind")).all()
    engine.dispose()
    by_state = {}
    for state, kind, n in rows:
        by_state.setdefault(state, {})[kind] = n
    print("  mix: " + ", ".join(f"{s} {v.get('birth', 0)}/{v.get('death', 0)}" for s, v in
                                sorted(by_state.items(), key=lambda kv: -sum(kv[1].values()))) + "  (births/deaths)")


if __name__ == "__main__":
    main()
