"""A supervisor retries a failed packet or rejects it with a reason; both are audited."""

import pytest

from portal import jobs
from portal.audit import AuditEvent
from portal.extensions import db
from portal.packets.models import Packet
from tests.integration.packets_support import failed_packet

HTMX = {"HX-Request": "true"}


def reload(app, packet_id):
    with app.app_context():
        packet = db.session.get(Packet, packet_id)
        audits = [(a.action, a.actor) for a in AuditEvent.query.filter_by(subject_type="packet",
                                                                          subject_id=str(packet_id))]
        queued = [j.kind for j in jobs.Job.query.filter_by(status="queued")]
        return packet.state, audits, queued, [e.step for e in packet.events]


def test_retry_from_the_dashboard_requeues_the_step_and_is_audited(app, client, login_as):
    packet_id = failed_packet(app)
    login_as(client, "supervisor", username="sam")

    response = client.post(f"/packets/{packet_id}/retry", data={"next": "/packets/?kind=birth"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/packets/?kind=birth")
    state, audits, queued, steps = reload(app, packet_id)
    assert state == "retrying"
    assert audits == [("packet.retried", "sam")]
    assert queued == ["mosip.create_packet"]
    assert steps[-1] == "supervisor.retry"


def test_retry_with_htmx_redirects_and_never_goes_off_site(app, client, login_as):
    packet_id = failed_packet(app)
    login_as(client, "supervisor")

    response = client.post(f"/packets/{packet_id}/retry", data={"next": "https://evil.example/packets/"},
                           headers=HTMX)

    assert response.headers["HX-Redirect"] == f"/packets/{packet_id}"


def test_retrying_a_packet_that_is_not_failed_changes_nothing(app, client, login_as):
    packet_id = failed_packet(app, state="processing")
    login_as(client, "supervisor")

    client.post(f"/packets/{packet_id}/retry")

    state, audits, _, _ = reload(app, packet_id)
    assert state == "processing" and audits == []


def test_reject_with_a_reason_sends_the_error_back(app, client, login_as):
    packet_id = failed_packet(app)
    login_as(client, "supervisor", username="sam")

    response = client.post(f"/packets/{packet_id}/reject", data={"reason": "Duplicate of an existing identity"})

    assert response.status_code == 303
    state, audits, queued, _ = reload(app, packet_id)
    assert state == "rejected"
    assert audits == [("packet.rejected", "sam")]
    assert queued == ["opencrvs.notify"]
    with app.app_context():
        assert db.session.get(Packet, packet_id).error_message == "Duplicate of an existing identity"


@pytest.mark.parametrize("headers, status", [(HTMX, 200), ({}, 200)], ids=["htmx", "no javascript"])
def test_reject_without_a_reason_shows_the_form_again(app, client, login_as, headers, status):
    packet_id = failed_packet(app)
    login_as(client, "supervisor")

    response = client.post(f"/packets/{packet_id}/reject", data={"reason": "  "}, headers=headers)

    assert response.status_code == status
    assert "Say why the record is rejected." in response.text
    assert 'aria-describedby="reason-hint reason-error"' in response.text
    assert reload(app, packet_id)[0] == "failed"


def test_actions_need_the_supervisor_role(app, client, login_as):
    packet_id = failed_packet(app)
    login_as(client, "officer")

    assert client.post(f"/packets/{packet_id}/retry").status_code == 403
    assert client.post(f"/packets/{packet_id}/reject", data={"reason": "x"}).status_code == 403
    assert reload(app, packet_id)[0] == "failed"


def test_actions_need_the_csrf_token(make_app, login_as):
    app = make_app({"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    packet_id = failed_packet(app)
    with app.app_context():
        from portal.auth.accounts import create_user

        create_user("csrf-sup", ["supervisor"], "correct-horse-battery", actor="test")
        db.session.commit()
    login_page = client.get("/login").text
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "csrf-sup", "password": "correct-horse-battery", "csrf_token": token})

    response = client.post(f"/packets/{packet_id}/retry")

    assert response.status_code in (302, 303, 400)
    assert reload(app, packet_id)[0] == "failed"
