"""A French officer reads the registration's progress note and refusal in French (the stored text stays English);
the status filter shows labels, not codes."""

import uuid

import pytest

from portal import messages
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.extensions import db
from portal.messages import message
from portal.registration import handlers
from portal.registration.models import Registration
from tests.integration.registration_support import openimis_peer

FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}
CLOSED = "http://127.0.0.1:9"  # nothing listens: openIMIS is unreachable


def queued(app, username, **values):
    """A confirmed registration waiting for its openIMIS job."""
    with app.app_context():
        row = Registration(created_by=username, status="queued", client_mutation_id=str(uuid.uuid4()),
                           values={"last_name": "Rai", "other_names": "Sita", "gender": "F", "dob": "1990-01-01",
                                   "family_mode": "new", **values})
        db.session.add(row)
        db.session.commit()
        return row.id


def run_job(app, registration_id, error):
    with app.app_context(), pytest.raises(error):
        handlers.register_insuree({"registration_id": registration_id})


def test_the_retry_note_reads_in_french(make_app, login_as):
    app = make_app({"PORTAL_OPENIMIS_URL": CLOSED})
    client = app.test_client()
    registration_id = queued(app, login_as(client, "officer").username)
    run_job(app, registration_id, TransientPeerError)

    page = client.get(f"/registration/{registration_id}/progress", headers=FR).text

    assert "openIMIS est injoignable ou occupé ; l&#39;inscription est conservée" in page
    with app.app_context():
        row = db.session.get(Registration, registration_id)
        assert row.note == handlers.RETRY_NOTE.text and row.note_key == "registration.openimis_busy"


def test_the_sent_note_reads_in_french(app, client, login_as):
    registration_id = queued(app, login_as(client, "officer").username)
    with app.app_context():
        messages.store(db.session.get(Registration, registration_id), "note", message("registration.sent"))
        db.session.commit()

    assert "envoyé à openIMIS" in client.get(f"/registration/{registration_id}/progress", headers=FR).text
    assert "sent to openIMIS" in client.get(f"/registration/{registration_id}/progress", headers=EN).text


def test_a_refusal_reads_in_french(make_app, login_as):
    with openimis_peer() as imis:
        app = make_app({"PORTAL_OPENIMIS_URL": imis.url})
        client = app.test_client()
        registration_id = queued(app, login_as(client, "officer").username, family_mode="join",
                                 head_chf_id="9999999999")
        run_job(app, registration_id, PermanentPeerError)

        page = client.get(f"/registration/{registration_id}/progress", headers=FR).text

    assert "openIMIS n&#39;a aucune famille dont le chef a le numéro d&#39;assuré 9999999999" in page
    with app.app_context():
        row = db.session.get(Registration, registration_id)
        assert row.error == "openIMIS has no family whose head has insurance number 9999999999"


def test_the_status_filter_shows_labels_and_sends_codes(client, login_as):
    login_as(client, "officer")

    english = client.get("/registration/", headers=EN).text
    french = client.get("/registration/?status=duplicate", headers=FR).text

    assert '<option value="done">created</option>' in english
    assert '<option value="duplicate">already insured</option>' in english
    assert '<option value="duplicate" selected>déjà assuré</option>' in french
    assert '<option value="queued">en file d' in french
