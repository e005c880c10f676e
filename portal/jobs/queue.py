"""Registering job handlers, enqueueing in the caller's transaction, claiming with a lease, running one job and
recording its outcome (retry with backoff, or dead), and retrying a dead job."""

import logging
import random
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from portal import audit
from portal.extensions import db
from portal.timeutil import utcnow

from .models import STATUSES, Job

log = logging.getLogger("portal.jobs")

HANDLERS = {}


def handler(kind):
    """Register `fn(payload)` as the handler of jobs of `kind` (named `peer.action`)."""

    def decorator(fn):
        if kind in HANDLERS and HANDLERS[kind] is not fn:
            raise ValueError(f"a handler for {kind!r} is already registered")
        HANDLERS[kind] = fn
        return fn

    return decorator


def enqueue(kind, payload, key=None, delay=0, max_attempts=None):
    """Add a job to the current transaction; the caller commits it together with its change."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    if key is not None:
        existing = db.session.execute(select(Job).where(Job.key == key)).scalar()
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload,
        key=key,
        status="queued",
        max_attempts=max_attempts or current_app.config["PORTAL_JOB_MAX_ATTEMPTS"],
        next_attempt_at=utcnow() + timedelta(seconds=delay),
    )
    db.session.add(job)
    return job


def backoff_seconds(attempts, base, cap):
    """Exponential backoff with up to 25% jitter, so retries after an outage do not arrive together."""
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay + random.uniform(0, delay / 4)


def release_expired_leases(now):
    """A running job whose lease has expired lost its worker: run it again, or bury it if out of attempts."""
    expired = (Job.status == "running") & (Job.lease_until < now)
    db.session.execute(
        update(Job).where(expired, Job.attempts >= Job.max_attempts)
        .values(status="dead", finished_at=now, lease_until=None, locked_by=None,
                last_error="lease expired on the last attempt (worker stopped mid-job)")
    )
    db.session.execute(
        update(Job).where(expired)
        .values(status="queued", next_attempt_at=now, lease_until=None, locked_by=None,
                last_error="lease expired (worker stopped mid-job)")
    )


def claim(worker_id):
    """Take the next due job for `worker_id`, or return None. Commits."""
    now = utcnow()
    lease_until = now + timedelta(seconds=current_app.config["PORTAL_JOB_LEASE_SECONDS"])
    release_expired_leases(now)
    due = select(Job.id).where(Job.status == "queued", Job.next_attempt_at <= now)
    due = due.order_by(Job.next_attempt_at, Job.id).limit(1)
    if db.engine.dialect.name == "postgresql":
        job_id = db.session.execute(due.with_for_update(skip_locked=True)).scalar()
    else:
        job_id = db.session.execute(due).scalar()
    if job_id is None:
        db.session.commit()
        return None
    # On SQLite this compare-and-set is the lock: of two claimers only one sees status still 'queued'.
    taken = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="running", lease_until=lease_until, locked_by=worker_id, attempts=Job.attempts + 1)
    ).rowcount
    db.session.commit()
    return db.session.get(Job, job_id) if taken == 1 else None


def run(job, worker_id):
    """Run one claimed job and record the outcome."""
    job_id, kind, attempt = job.id, job.kind, job.attempts
    started = time.perf_counter()
    try:
        fn = HANDLERS.get(kind)
        if fn is None:
            raise UnknownJobKindError(f"no handler registered for {kind!r}")
        fn(dict(job.payload))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job, none is lost
        db.session.rollback()
        _record_failure(job_id, worker_id, exc, attempt, time.perf_counter() - started)
    else:
        db.session.rollback()  # anything the handler left uncommitted is not part of the outcome
        finished = db.session.execute(
            update(Job).where(Job.id == job_id, Job.locked_by == worker_id, Job.status == "running")
            .values(status="done", finished_at=utcnow(), lease_until=None, last_error=None)
        ).rowcount
        db.session.commit()
        log.info("job done", extra={"job_id": job_id, "kind": kind, "attempt": attempt,
                                    "duration_ms": _ms(started), "lease_lost": finished == 0})


def _record_failure(job_id, worker_id, exc, attempt, seconds):
    job = db.session.get(Job, job_id)
    config = current_app.config
    permanent = getattr(exc, "permanent", False)
    now = utcnow()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if job.locked_by != worker_id or job.status != "running":
        log.warning("job failed after its lease was lost", extra={"job_id": job_id, "kind": job.kind})
        db.session.commit()
        return
    if permanent or job.attempts >= job.max_attempts:
        job.status, job.finished_at = "dead", now
    else:
        job.status = "queued"
        delay = backoff_seconds(job.attempts, config["PORTAL_JOB_BACKOFF_BASE"], config["PORTAL_JOB_BACKOFF_CAP"])
        job.next_attempt_at = now + timedelta(seconds=delay)
    job.lease_until, job.locked_by, job.last_error = None, None, error
    db.session.commit()
    # The error class and peer status only: a message may quote what a peer said about a person.
    log.warning("job failed", extra={"job_id": job_id, "kind": job.kind, "attempt": attempt,
                                     "status": job.status, "error": type(exc).__name__,
                                     "peer_status": getattr(exc, "status", None),
                                     "duration_ms": round(seconds * 1000, 1)})


def _ms(started):
    return round((time.perf_counter() - started) * 1000, 1)


class UnknownJobKindError(Exception):
    permanent = True


def retry(job):
    """A dead job gets a fresh set of attempts (from the jobs page or a dashboard)."""
    if job.status != "dead":
        raise ValueError("only dead jobs can be retried")
    job.status, job.attempts, job.next_attempt_at, job.finished_at = "queued", 0, utcnow(), None
    audit.record("job.retried", "job", job.id, {"kind": job.kind})


def counts():
    rows = db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: 0 for status in STATUSES} | dict(rows)
