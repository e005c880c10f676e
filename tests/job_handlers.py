"""Job handlers used by the queue tests, loaded by workers through PORTAL_JOB_MODULES."""

import time
from pathlib import Path

from portal import audit, jobs
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.extensions import db


@jobs.handler("test.record")
def record(payload):
    """Leave one audit row per run, so a test can count how often a job ran."""
    audit.record("test.ran", "test", payload["n"], actor="worker")
    db.session.commit()
    time.sleep(payload.get("sleep", 0))


@jobs.handler("test.flaky")
def flaky(payload):
    """Fail transiently until the marker file holds `succeed_after` failures."""
    marker = Path(payload["marker"])
    failures = int(marker.read_text()) if marker.exists() else 0
    if failures < payload["succeed_after"]:
        marker.write_text(str(failures + 1))
        raise TransientPeerError("peer answered 503", peer="test", status=503)
    audit.record("test.ran", "test", payload["n"], actor="worker")
    db.session.commit()


@jobs.handler("test.rejected")
def rejected(payload):
    raise PermanentPeerError("peer answered 422: field missing", peer="test", status=422)


@jobs.handler("test.crash_once")
def crash_once(payload):
    """First run: announce itself, then hang (the test kills the worker). Later runs: do the work."""
    started = Path(payload["started"])
    if not started.exists():
        started.write_text("started")
        time.sleep(60)
    audit.record("test.ran", "test", payload["n"], actor="worker")
    db.session.commit()
