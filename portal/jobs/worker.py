"""`flask worker`: threads that claim and run due jobs until SIGTERM; `work_once` and `work_until_idle` run due jobs
in the current process (tests, the demo's CLI)."""

import logging
import os
import signal
import socket
import threading

from portal.extensions import db

from .models import Job
from .queue import claim, run

log = logging.getLogger("portal.jobs")


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
