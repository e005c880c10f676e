"""Bad answers at the callback: a missing, unknown, foreign or replayed state, a cancel at eSignet, and every token
failure. Each gets a clear message, a 4xx where the request is at fault, an audit event, and never a 500."""

import re
from urllib.parse import urlsplit

import httpx
import pytest

from portal_sandbox.esignet import robot
from tests.integration.registration_support import audit_actions, registration, verify_at_esignet


def start(officer):
    """Press Verify; returns (registration id, eSignet authorize URL)."""
    response = officer.post("/registration/new", data={"action": "verify", "last_name": "Typed",
                                                       "family_mode": "new"})
    assert response.status_code == 303
    return response.headers["Location"]


def come_back(officer, url):
    parts = urlsplit(url)
    return officer.get(f"{parts.path}?{parts.query}")


def last_rejection(portal):
    from portal.audit import AuditEvent
    from portal.extensions import db

    with portal.app_context():
        event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "registration.callback_rejected")
                                   .order_by(AuditEvent.id.desc())).scalars().first()
        return event.detail if event else None


@pytest.mark.parametrize("query", ["", "?code=abc", "?state=&code=abc", "?state=forged&code=abc"],
                         ids=["nothing", "no-state", "empty-state", "unknown-state"])
def test_a_callback_without_a_known_state_is_refused(portal, officer, query):
    response = officer.get(f"/registration/callback{query}")
    assert response.status_code == 400
    assert b"does not belong to a verification started in this browser" in response.data
    assert last_rejection(portal) == {"error": "state_mismatch", "source": "esignet"}


def test_a_state_started_in_another_browser_is_refused(portal, officer, login_as):
    url = robot.login(start(officer), "8267411571")
    other = portal.test_client()
    login_as(other, "officer", username="bob")
    assert come_back(other, url).status_code == 400
    assert come_back(officer, url).status_code == 303  # the right browser can still finish it


def test_a_replayed_callback_is_refused(portal, officer):
    url = robot.login(start(officer), "8267411571")
    assert come_back(officer, url).status_code == 303
    again = come_back(officer, url)
    assert again.status_code == 400
    assert last_rejection(portal)["error"] == "state_mismatch"


def test_cancel_at_esignet_keeps_the_draft_and_offers_manual_entry(portal, officer):
    response = verify_at_esignet(officer, cancel_at="consent")
    assert response.status_code == 200
    page = response.data.decode()
    assert "cancelled at eSignet" in page and "Continue with manual entry" in page
    registration_id = int(re.search(r"/registration/(\d+)/", page)[1])
    row = registration(portal, registration_id)
    assert row.verification == "cancelled"
    assert ("registration.verification_cancelled", {"error": "access_denied", "source": "esignet"}) in \
        audit_actions(portal, registration_id)
    manual = officer.post(f"/registration/{registration_id}/manual")
    assert manual.status_code == 303
    assert registration(portal, registration_id).verification == "manual"


CASES = [
    ("wrong_nonce", "nonce_mismatch"), ("wrong_iss", "issuer_mismatch"), ("wrong_aud", "audience_mismatch"),
    ("missing_iat", "missing_claim"), ("missing_sub", "missing_claim"), ("bad_signature", "bad_signature"),
    ("alg_none", "algorithm_not_allowed"), ("expired", "token_expired"),
    ("userinfo_sub_mismatch", "subject_mismatch"),
]


@pytest.mark.parametrize("mode, code", CASES, ids=[c[0] for c in CASES])
def test_token_failures_end_the_flow_with_a_message_and_an_audit_event(portal, officer, esignet_clean, mode, code):
    httpx.post(f"{esignet_clean.url}/_sandbox/misbehave", json={"mode": mode})
    response = verify_at_esignet(officer, data={"last_name": "Typed"})
    assert response.status_code == 400
    assert b"failed a security check" in response.data and b"Nothing was pre-filled" in response.data
    registration_id = int(re.search(r"/registration/(\d+)/", response.data.decode())[1])
    row = registration(portal, registration_id)
    assert row.verification == "failed" and row.verified_values == {} and row.values["last_name"] == "Typed"
    failed = dict(audit_actions(portal, registration_id))["registration.verification_failed"]
    assert failed["error"] == code


def test_a_replayed_code_with_a_fresh_state_is_refused_by_esignet(portal, officer):
    """The code of a finished login pasted into a new login's callback: eSignet says invalid_grant."""
    first = robot.callback_params(robot.login(start(officer), "8267411571"))
    assert officer.get(f"/registration/callback?state={first['state']}&code={first['code']}").status_code == 303
    second_url = start(officer)
    second = robot.callback_params(robot.login(second_url, "8267411571"))
    response = officer.get(f"/registration/callback?state={second['state']}&code={first['code']}")
    assert response.status_code == 400
    assert b"already used or has expired" in response.data


def test_a_callback_from_another_issuer_is_refused(portal, officer):
    params = robot.callback_params(robot.login(start(officer), "8267411571"))
    response = officer.get(f"/registration/callback?state={params['state']}&code={params['code']}"
                           "&iss=https%3A%2F%2Fevil.example")
    assert response.status_code == 400
    assert b"different identity provider" in response.data


def test_an_esignet_that_is_down_keeps_the_draft(portal, officer, esignet_clean):
    esignet_clean.fail(503, path="/")
    response = officer.post("/registration/new", data={"action": "verify", "last_name": "Kept",
                                                       "family_mode": "new"})
    assert response.status_code in (502, 503)
    assert b"continue with manual entry" in response.data.lower()
    esignet_clean.heal()


def test_a_login_that_took_too_long_has_expired(make_app, esignet_clean, openimis_live, key_file, login_as):
    from tests.integration.registration_support import portal_config

    app = make_app(portal_config(esignet_clean.url, openimis_live.url, key_file,
                                 PORTAL_REGISTRATION_LOGIN_MINUTES=0))
    client = app.test_client()
    login_as(client, "officer", username="ana")
    response = verify_at_esignet(client)
    assert response.status_code == 400 and b"expired" in response.data
