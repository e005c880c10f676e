"""Durable job queue in the database (the transactional outbox) and the worker that runs it.

A job is a row written in the same transaction as the change that needs it, so a crash never loses work.
Workers claim rows with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (many workers, many machines) and
with a compare-and-set `UPDATE` on SQLite (one claimer wins). A claim takes a lease; a job whose worker died
is claimed again once its lease has expired, so handlers must be idempotent.
"""

import logging
import os
import random
import signal
import socket
import threading
import time
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import JSON, String, Text, func, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from portal import audit
from portal.auth.decorators import role_required
from portal.extensions import db
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

HANDLERS = {}
STATUSES = ("queued", "running", "done", "dead")

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # Idempotency key: enqueueing the same key twice gives back the first job.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        # The claim query reads only runnable rows; without this partial index claims on PostgreSQL
        # were measured 3x slower, and slower still as done rows pile up.
        db.Index("ix_jobs_runnable", "next_attempt_at",
                 postgresql_where=text("status = 'queued'"), sqlite_where=text("status = 'queued'")),
        db.Index("ix_jobs_leased", "lease_until",
                 postgresql_where=text("status = 'running'"), sqlite_where=text("status = 'running'")),
        db.Index("ix_jobs_status_kind", "status", "kind"),
    )


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
        existing = Job.query.filter_by(key=key).first()
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


def default_worker_id():
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def work_once(worker_id=None):
    """Claim and run one due job; return it (refreshed), or None when nothing is due."""
    worker_id = worker_id or default_worker_id()
    job = claim(worker_id)
    if job is None:
        return None
    run(job, worker_id)
    db.session.expire_all()
    return db.session.get(Job, job.id)


def work_until_idle(max_jobs=100):
    """Run due jobs until none is left (or `max_jobs` ran); return the jobs run."""
    done = []
    while len(done) < max_jobs:
        job = work_once()
        if job is None:
            break
        done.append(job)
    return done


def retry(job):
    """A dead job gets a fresh set of attempts (from the jobs page or a dashboard)."""
    if job.status != "dead":
        raise ValueError("only dead jobs can be retried")
    job.status, job.attempts, job.next_attempt_at, job.finished_at = "queued", 0, utcnow(), None
    audit.record("job.retried", "job", job.id, {"kind": job.kind})


def counts():
    rows = db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: 0 for status in STATUSES} | dict(rows)


class Worker:
    """`flask worker`: N threads claiming jobs; SIGTERM lets each finish its current job, then exits."""

    def __init__(self, app, concurrency=1, idle_seconds=1.0, on_idle=None):
        self.app = app
        self.concurrency = concurrency
        self.idle_seconds = idle_seconds
        self.on_idle = on_idle
        self.stopping = threading.Event()

    def stop(self, *_):
        self.stopping.set()

    def run(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        threads = [threading.Thread(target=self._loop, name=f"worker-{n}") for n in range(self.concurrency)]
        for thread in threads:
            thread.start()
        log.info("worker started", extra={"concurrency": self.concurrency, "pid": os.getpid()})
        while not self.stopping.is_set():
            if self.on_idle is not None:
                with self.app.app_context():
                    self._safely(self.on_idle)
            self.stopping.wait(self.idle_seconds * 5)
        for thread in threads:
            thread.join()
        log.info("worker stopped", extra={"pid": os.getpid()})

    def _loop(self):
        worker_id = default_worker_id()
        with self.app.app_context():
            while not self.stopping.is_set():
                job = self._safely(lambda: work_once(worker_id))
                if job is None:
                    self.stopping.wait(self.idle_seconds)

    def _safely(self, fn):
        # A lost database connection must not kill the worker: log, back off, try again.
        try:
            return fn()
        except Exception:  # noqa: BLE001
            db.session.rollback()
            log.exception("worker loop error")
            self.stopping.wait(self.idle_seconds * 5)
            return None


@bp.get("/")
@role_required("admin", "supervisor")
def index():
    status = request.args.get("status", "dead")
    if status not in STATUSES:
        abort(400)
    query = select(Job).where(Job.status == status).order_by(Job.id.desc())
    page = db.paginate(query, per_page=50, max_per_page=50, error_out=False)
    return render_template("jobs/index.html", page=page, status=status, counts=counts())


@bp.post("/<int:job_id>/retry")
@role_required("admin", "supervisor")
def retry_dead(job_id):
    job = db.get_or_404(Job, job_id)
    if job.status != "dead":
        abort(409)
    retry(job)
    db.session.commit()
    flash(_("Job %(id)s will be tried again.", id=job.id), "ok")
    return redirect(url_for("jobs.index", status="dead"), code=303)
