"""openIMIS down, then up: the registration is kept and queued, retried, and created exactly once; a re-run after a
lost answer sends nothing again (same clientMutationId; a lookup by insurance number before any re-send)."""

import uuid

import pytest

from portal import jobs
from portal.clients import openimis, peer
from portal.extensions import db
from portal.registration import handlers
from portal.registration.models import Registration
from tests.integration.registration_support import (audit_actions, confirm, openimis_peer, portal_config,
                                                    registration, registration_id_of, verify_at_esignet)


@pytest.fixture
def openimis_live():
    with openimis_peer() as peer:  # a fresh openIMIS per test: these tests count insurees
        yield peer


@pytest.fixture
def portal(make_app, esignet_clean, openimis_live, key_file):
    return make_app(portal_config(esignet_clean.url, openimis_live.url, key_file))


def insurees_with_id(openimis_live, number):
    client = openimis.OpenImisClient(openimis_live.url, "Admin", "admin123")
    return client.find_insurees_by_identification(number)


def confirmed(officer, individual_id="8267411571"):
    registration_id = registration_id_of(verify_at_esignet(officer, individual_id=individual_id))
    assert confirm(officer, registration_id, passport=individual_id).status_code == 303
    return registration_id


def test_openimis_down_then_up_creates_the_insuree_once(portal, officer, openimis_live):
    registration_id = confirmed(officer)
    openimis_live.fail(503, path="/api/")
    with portal.app_context():
        portal.extensions.pop("registration.openimis", None)  # forget the cached token: log in again, and fail
        job = jobs.work_once()
        assert job.status == "queued" and job.attempts == 1 and "TransientPeerError" in job.last_error
    row = registration(portal, registration_id)
    assert row.status == "queued" and "unreachable" in row.note
    progress = officer.get(f"/registration/{registration_id}/progress").data.decode()
    assert "will be sent again automatically" in progress and "every 2s" in progress

    openimis_live.heal()
    with portal.app_context():
        assert jobs.work_once().status == "done"
    row = registration(portal, registration_id)
    assert row.status == "done" and row.note is None
    assert [i.chf_id for i in insurees_with_id(openimis_live, "8267411571")] == [row.chf_id]
    actions = [action for action, _ in audit_actions(portal, registration_id)]
    assert actions.count("registration.openimis_unreachable") == 1 and actions[-1] == "registration.created"


def test_a_rerun_after_success_sends_nothing_again(portal, officer, openimis_live):
    registration_id = confirmed(officer)
    with portal.app_context():
        assert jobs.work_once().status == "done"
        row = db.session.get(Registration, registration_id)
        chf_id = row.chf_id
        row.status = "queued"  # as if the worker died before recording the outcome
        db.session.commit()
        handlers.register_insuree({"registration_id": registration_id})
        assert db.session.get(Registration, registration_id).chf_id == chf_id
        # Same again with the mutation log out of reach: the lookup by insurance number finds our insuree.
        row = db.session.get(Registration, registration_id)
        row.status, row.client_mutation_id = "queued", str(uuid.uuid4())
        db.session.commit()
        handlers.create(row, peer("openimis"))
        assert db.session.get(Registration, registration_id).status == "done"
    assert len(insurees_with_id(openimis_live, "8267411571")) == 1


def test_the_same_person_registered_twice_is_shown_not_duplicated(portal, officer, openimis_live):
    first = confirmed(officer)
    with portal.app_context():
        jobs.work_until_idle()
    second = confirmed(officer)
    with portal.app_context():
        jobs.work_until_idle()
    row = registration(portal, second)
    assert row.status == "duplicate" and row.duplicate_chf_id == registration(portal, first).chf_id
    progress = officer.get(f"/registration/{second}/progress").data.decode()
    assert "already has an insuree with this identification number" in progress
    assert len(insurees_with_id(openimis_live, "8267411571")) == 1


def test_a_refused_registration_is_failed_with_plain_words(portal, officer, openimis_live):
    registration_id = registration_id_of(verify_at_esignet(officer, individual_id="3456789012"))
    confirm(officer, registration_id, passport="3456789012", family_mode="join", head_chf_id="9999999999")
    with portal.app_context():
        job = jobs.work_once()
        assert job.status == "dead"
    row = registration(portal, registration_id)
    assert row.status == "failed" and "no family whose head has insurance number 9999999999" in row.error
    assert "refused the registration" in officer.get(f"/registration/{registration_id}/progress").data.decode()


def test_joining_an_existing_family(portal, officer, openimis_live):
    registration_id = registration_id_of(verify_at_esignet(officer, individual_id="2345678901"))
    response = confirm(officer, registration_id, passport="2345678901", gender="F", family_mode="join",
                       head_chf_id="1000000016", relationship="8")
    assert response.status_code == 303
    with portal.app_context():
        assert jobs.work_once().status == "done"
    row = registration(portal, registration_id)
    client = openimis.OpenImisClient(openimis_live.url, "Admin", "admin123")
    family = client.find_family("1000000016")
    insuree = client.find_insuree(row.chf_id)
    assert insuree.family_id == family.id == row.family_id and not insuree.head


def test_an_entered_insurance_number_follows_openimis_rule(make_app, esignet_clean, openimis_live, key_file,
                                                           login_as):
    app = make_app(portal_config(esignet_clean.url, openimis_live.url, key_file,
                                 PORTAL_OPENIMIS_INSUREE_NUMBER_MODE="enter"))
    client = app.test_client()
    login_as(client, "officer", username="ana")
    registration_id = registration_id_of(verify_at_esignet(client))
    assert b'name="chf_id"' in client.get(f"/registration/{registration_id}/edit").data
    bad_check_digit = "1000000017"
    response = confirm(client, registration_id, chf_id=bad_check_digit)
    assert response.status_code == 400 and b"Not a valid insurance number: Invalid checksum" in response.data
    response = confirm(client, registration_id, chf_id="1000000016")  # a seeded insuree has it
    assert response.status_code == 400 and b"already used in openIMIS" in response.data
    free = openimis.generate_insuree_number(10, 10)
    assert confirm(client, registration_id, chf_id=free).status_code == 303
    with app.app_context():
        assert jobs.work_once().status == "done"
    assert registration(app, registration_id).chf_id == free
