"""`flask worker` as real processes: killed mid-job, stopped with SIGTERM, two at once."""

import os
import signal
import subprocess
import sys
import time

from portal import jobs
from portal.audit import AuditEvent
from portal.config import PROJECT_ROOT
from portal.extensions import db

import tests.job_handlers  # noqa: F401


def start_worker(database_url, concurrency=1, lease_seconds=2):
    env = {
        **os.environ,
        "PORTAL_DEMO": "1",
        "DATABASE_URL": database_url,
        "PORTAL_JOB_MODULES": "tests.job_handlers",
        "PORTAL_JOB_LEASE_SECONDS": str(lease_seconds),
        "PORTAL_JOB_BACKOFF_BASE": "0",
        "PORTAL_PEER_CHECK_SECONDS": "3600",
        "PORTAL_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "portal", "worker", "--concurrency", str(concurrency)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def job_status(app, job_id):
    with app.app_context():
        return db.session.get(jobs.Job, job_id).status


def test_a_job_whose_worker_was_killed_runs_again_exactly_once(app, database_url, tmp_path):
    started = tmp_path / "started"
    with app.app_context():
        job = jobs.enqueue("test.crash_once", {"n": 1, "started": str(started)})
        db.session.commit()
        job_id = job.id
    first = start_worker(database_url)
    try:
        assert wait_for(started.exists), "the first worker never picked the job up"
        first.send_signal(signal.SIGKILL)  # dies mid-job, holding the lease
        first.wait(timeout=10)
        assert job_status(app, job_id) == "running"
        second = start_worker(database_url)
        try:
            assert wait_for(lambda: job_status(app, job_id) == "done"), "the job was never run again"
        finally:
            second.terminate()
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
    with app.app_context():
        assert AuditEvent.query.filter_by(action="test.ran", subject_id="1").count() == 1
        assert db.session.get(jobs.Job, job_id).attempts == 2


def test_two_workers_never_run_the_same_job(app, database_url):
    count = 30
    with app.app_context():
        for n in range(count):
            jobs.enqueue("test.record", {"n": n, "sleep": 0.02})
        db.session.commit()
    workers = [start_worker(database_url, concurrency=2, lease_seconds=60) for _ in range(2)]
    try:
        def all_done():
            with app.app_context():
                return jobs.counts()["done"] == count

        assert wait_for(all_done, timeout=60), "the workers did not finish the jobs"
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
    with app.app_context():
        rows = AuditEvent.query.filter_by(action="test.ran").all()
        per_job = {}
        for row in rows:
            per_job[row.subject_id] = per_job.get(row.subject_id, 0) + 1
        assert per_job == {str(n): 1 for n in range(count)}
        assert {job.attempts for job in jobs.Job.query.all()} == {1}


def test_sigterm_lets_the_current_job_finish_before_the_worker_exits(app, database_url):
    with app.app_context():
        job = jobs.enqueue("test.record", {"n": 5, "sleep": 2})
        db.session.commit()
        job_id = job.id
    worker = start_worker(database_url, lease_seconds=60)
    try:
        assert wait_for(lambda: job_status(app, job_id) == "running")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert job_status(app, job_id) == "done"
