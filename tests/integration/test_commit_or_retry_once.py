"""commit_or_retry_once: the one way the portal handles a concurrent twin that breaks a unique constraint at
commit (the DCI message stored twice at once, two batches claiming the same people): roll back and run the work once
more, which then sees the twin's row; a second conflict is not hidden."""

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import commit_or_retry_once, db
from portal.jobs import Job


def twin_commits(key):
    """Another transaction commits a row with `key` while ours is open (as a concurrent request would)."""
    with db.engine.begin() as connection:
        connection.execute(insert(Job).values(kind="test.twin", payload={}, key=key, status="done"))


def test_a_twin_at_commit_makes_the_work_run_once_more_and_find_it(app):
    calls = []

    def store_once():
        calls.append(1)
        existing = db.session.execute(select(Job).where(Job.key == "message-1")).scalar()
        if existing is not None:
            return existing
        if len(calls) == 1:
            twin_commits("message-1")  # between our look and our commit
        job = Job(kind="test.ours", payload={}, key="message-1")
        db.session.add(job)
        return job

    with app.app_context():
        kept = commit_or_retry_once(store_once)
        assert len(calls) == 2 and kept.kind == "test.twin"
        assert db.session.execute(select(Job).where(Job.key == "message-1")).scalars().all() == [kept]


def test_a_second_conflict_is_raised(app):
    with app.app_context():
        twin_commits("message-2")

        def always_duplicate():
            db.session.add(Job(kind="test.ours", payload={}, key="message-2"))

        with pytest.raises(IntegrityError):
            commit_or_retry_once(always_duplicate)
