"""Job claims on PostgreSQL with and without the partial index on runnable jobs.

Fills a queue the way months of use do (many done jobs, a few queued), then times `jobs.claim()` with the
partial index `ix_jobs_runnable`, then with only the (status, kind) index, then with neither. Prints median and
p95 per claim and the ratio.
Run: `.venv/bin/python bench/jobs.py [--done 200000] [--claims 300]` (needs PostgreSQL on 127.0.0.1:5432).
"""

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from portal import create_app, jobs  # noqa: E402
from portal.config import PROJECT_ROOT  # noqa: E402
from portal.extensions import db  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"


@jobs.handler("bench.noop")
def noop(payload):
    pass


def fill(done, queued):
    db.session.execute(text(
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, next_attempt_at, created_at, updated_at)"
        " SELECT 'bench.noop', '{}', CASE WHEN g <= :done THEN 'done' ELSE 'queued' END, 1, 8,"
        " now() - (g || ' seconds')::interval, now(), now() FROM generate_series(1, :total) g"
    ), {"done": done, "total": done + queued})
    db.session.commit()
    db.session.execute(text("ANALYZE jobs"))
    db.session.commit()


def time_claims(count):
    timings = []
    for n in range(count):
        started = time.perf_counter()
        job = jobs.claim(f"bench-{n}")
        timings.append((time.perf_counter() - started) * 1000)
        assert job is not None
    return timings


def summary(label, timings):
    p95 = statistics.quantiles(timings, n=20)[18]
    print(f"{label:28} median {statistics.median(timings):7.3f} ms   p95 {p95:7.3f} ms")
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--done", type=int, default=200_000)
    parser.add_argument("--claims", type=int, default=300)
    args = parser.parse_args()
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        app = create_app({"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING",
                          "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"})
        with app.app_context():
            upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
            fill(args.done, args.claims * 3)
            print(f"jobs table: {args.done} done, {args.claims * 3} queued; {args.claims} claims each way")
            with_index = summary("with ix_jobs_runnable", time_claims(args.claims))
            db.session.execute(text("DROP INDEX ix_jobs_runnable"))
            db.session.commit()
            status_only = summary("only ix_jobs_status_kind", time_claims(args.claims))
            db.session.execute(text("DROP INDEX ix_jobs_status_kind"))
            db.session.commit()
            no_index = summary("no index on status", time_claims(args.claims))
            print(f"ratio only-status-index/partial: {status_only / with_index:.1f}x; "
                  f"no-index/partial: {no_index / with_index:.1f}x")
            db.engine.dispose()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
