"""Durable job queue in the database (the transactional outbox) and the worker that runs it.

A job is a row written in the same transaction as the change that needs it, so a crash never loses work.
Workers claim rows with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (many workers, many machines) and
with a compare-and-set `UPDATE` on SQLite (one claimer wins). A claim takes a lease; a job whose worker died
is claimed again once its lease has expired, so handlers must be idempotent.

* `models.py`: the `jobs` table;
* `queue.py`: registering handlers, enqueueing, claiming, running one job, retrying a dead one;
* `worker.py`: `flask worker` (threads claiming jobs until SIGTERM) and the test helpers that run due jobs;
* `views.py`: the jobs page for supervisors.
"""

from .models import STATUSES, Job
from .queue import (HANDLERS, UnknownJobKindError, backoff_seconds, claim, counts, enqueue, handler,
                    release_expired_leases, retry, run)
from .views import bp
from .worker import Worker, default_worker_id, work_once, work_until_idle

__all__ = ["HANDLERS", "STATUSES", "Job", "UnknownJobKindError", "Worker", "backoff_seconds", "bp", "claim",
           "counts", "default_worker_id", "enqueue", "handler", "release_expired_leases", "retry", "run",
           "work_once", "work_until_idle"]
