"""The jobs page: counts per state, dead jobs with their error, and the retry button."""

from portal import jobs
from portal.audit import AuditEvent
from portal.extensions import db

import tests.job_handlers  # noqa: F401


def test_a_dead_job_is_listed_and_can_be_retried_from_the_page(app, client, login_as):
    with app.app_context():
        jobs.enqueue("test.rejected", {})
        db.session.commit()
        dead = jobs.work_once()
    login_as(client, "supervisor")
    page = client.get("/jobs/?status=dead").data.decode()
    assert "test.rejected" in page and "422" in page
    response = client.post(f"/jobs/{dead.id}/retry")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(jobs.Job, dead.id).status == "queued"
        assert AuditEvent.query.filter_by(action="job.retried", actor="supervisor").count() == 1


def test_retrying_a_job_that_is_not_dead_is_a_conflict(app, client, login_as):
    with app.app_context():
        job = jobs.enqueue("test.record", {"n": 1})
        db.session.commit()
        job_id = job.id
    login_as(client, "admin")
    assert client.post(f"/jobs/{job_id}/retry").status_code == 409


def test_an_unknown_state_filter_is_a_bad_request(client, login_as):
    login_as(client, "admin")
    assert client.get("/jobs/?status=bogus").status_code == 400
