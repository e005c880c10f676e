"""The durable job queue, on SQLite and PostgreSQL: retries, dead jobs, idempotent keys."""

from datetime import timedelta

import pytest

from portal import jobs
from portal.audit import AuditEvent
from portal.extensions import db
from portal.timeutil import utcnow

import tests.job_handlers  # noqa: F401  (registers the test.* handlers)


def runs(n):
    return AuditEvent.query.filter_by(action="test.ran", subject_id=str(n)).count()


def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(app):
    with app.app_context():
        jobs.enqueue("test.record", {"n": 1})
        db.session.rollback()
        assert jobs.work_once() is None


def test_a_committed_job_runs_once_and_is_done(app):
    with app.app_context():
        job = jobs.enqueue("test.record", {"n": 1})
        db.session.commit()
        ran = jobs.work_once()
        assert ran.id == job.id and ran.status == "done" and ran.attempts == 1
        assert runs(1) == 1
        assert jobs.work_once() is None


def test_the_same_key_enqueues_one_job(app):
    with app.app_context():
        first = jobs.enqueue("test.record", {"n": 1}, key="once")
        second = jobs.enqueue("test.record", {"n": 1}, key="once")
        db.session.commit()
        assert first.id == second.id
        jobs.work_until_idle()
        assert runs(1) == 1


def test_a_transient_failure_is_retried_with_backoff_then_succeeds(make_app, tmp_path):
    app = make_app({"PORTAL_JOB_BACKOFF_BASE": 30, "PORTAL_JOB_BACKOFF_CAP": 600})
    with app.app_context():
        jobs.enqueue("test.flaky", {"n": 7, "marker": str(tmp_path / "m"), "succeed_after": 2})
        db.session.commit()
        first = jobs.work_once()
        assert first.status == "queued" and first.attempts == 1
        assert "503" in first.last_error
        wait = (first.next_attempt_at - utcnow()).total_seconds()
        assert 25 <= wait <= 30 * 1.25 + 1  # base·2⁰ plus at most 25% jitter
        assert jobs.work_once() is None  # not due yet

        first.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        second = jobs.work_once()
        assert second.status == "queued" and second.attempts == 2
        wait = (second.next_attempt_at - utcnow()).total_seconds()
        assert 55 <= wait <= 60 * 1.25 + 1  # base·2¹: the delay doubles

        second.next_attempt_at = utcnow()
        db.session.commit()
        third = jobs.work_once()
        assert third.status == "done" and third.attempts == 3
        assert runs(7) == 1


def test_a_permanent_error_makes_the_job_dead_at_once(app):
    with app.app_context():
        jobs.enqueue("test.rejected", {})
        db.session.commit()
        job = jobs.work_once()
        assert job.status == "dead" and job.attempts == 1
        assert "422" in job.last_error


def test_too_many_transient_failures_make_the_job_dead(app, tmp_path):
    with app.app_context():
        jobs.enqueue("test.flaky", {"n": 1, "marker": str(tmp_path / "m"), "succeed_after": 99}, max_attempts=3)
        db.session.commit()
        outcomes = []
        while (job := jobs.work_once()) is not None:
            outcomes.append((job.status, job.attempts))
        assert outcomes == [("queued", 1), ("queued", 2), ("dead", 3)]
        assert runs(1) == 0


def test_a_dead_job_can_be_retried(app, tmp_path):
    with app.app_context():
        jobs.enqueue("test.flaky", {"n": 2, "marker": str(tmp_path / "m"), "succeed_after": 1}, max_attempts=1)
        db.session.commit()
        dead = jobs.work_once()
        assert dead.status == "dead"
        jobs.retry(dead)
        db.session.commit()
        again = jobs.work_once()
        assert again.status == "done"
        assert AuditEvent.query.filter_by(action="job.retried").count() == 1


def test_an_expired_lease_makes_the_job_claimable_again(make_app):
    app = make_app({"PORTAL_JOB_LEASE_SECONDS": 1})
    with app.app_context():
        jobs.enqueue("test.record", {"n": 3})
        db.session.commit()
        claimed = jobs.claim("worker-that-dies")
        assert claimed is not None
        assert jobs.claim("other-worker") is None  # leased
        claimed.lease_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        again = jobs.claim("other-worker")
        assert again is not None and again.id == claimed.id and again.attempts == 2


def test_unknown_job_kinds_cannot_be_enqueued(app):
    with app.app_context():
        with pytest.raises(ValueError):
            jobs.enqueue("nobody.handles.this", {})
