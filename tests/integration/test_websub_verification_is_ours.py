"""`GET /api/mosip/websub` (the hub's intent verification) changes the recorded MOSIP subscription only when it
answers a request the portal made: same mode (subscribe or unsubscribe), same topic, within the time MOSIP's hub
takes to verify. Any other subscribe/unsubscribe is 404; a denial that answers no request is acknowledged (200) and
changes nothing. Before, anyone could rewrite the subscription's status and expiry with one unauthenticated GET
(issue 12)."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.packets import api
from portal.packets.handlers import subscribe_websub
from portal.packets.models import Subscription
from portal.timeutil import utcnow
from tests.fakes.mosip import TOPIC, FakeHub

URL = "/api/mosip/websub"
LEASE = 600


@pytest.fixture
def app(make_app):
    app = make_app({"PORTAL_MOSIP_PARTNER_ID": "opencrvs-partner", "PORTAL_MOSIP_WEBSUB_LEASE_SECONDS": LEASE})
    app.extensions["peers"]._clients["mosip"] = FakeHub()
    return app


def ask_hub(app, renew=False):
    """The portal asks the hub (what `flask packets subscribe` and the renewal job do)."""
    with app.app_context():
        subscribe_websub(renew=renew)


def row(app):
    """(status, expires_at, reason) of the portal's MOSIP subscription."""
    with app.app_context():
        found = db.session.execute(select(Subscription).filter_by(peer="mosip")).scalar_one()
        return found.status, found.expires_at, found.reason


def verify(client, mode, challenge="c-1", topic=TOPIC, **extra):
    params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge, **extra}
    if mode == "subscribe":
        params.setdefault("hub.lease_seconds", str(LEASE))
    return client.get(URL, query_string=params)


def deny(client, reason="Subscriber is not authorized", topic=TOPIC):
    return client.get(URL, query_string={"hub.mode": "denied", "hub.topic": topic, "hub.reason": reason})


def activate(app, client):
    ask_hub(app)
    assert verify(client, "subscribe").status_code == 200
    return row(app)


def test_the_verification_of_the_portals_request_activates_the_subscription(app, client):
    ask_hub(app)
    response = verify(client, "subscribe", challenge="c-42")
    assert response.status_code == 200 and response.data == b"c-42" and response.mimetype == "text/plain"
    status, expires, _ = row(app)
    assert status == "active" and LEASE - 60 < (expires - utcnow()).total_seconds() <= LEASE


@pytest.mark.parametrize("mode", ["subscribe", "unsubscribe"])
def test_a_verification_nobody_asked_for_is_404_and_changes_nothing(app, client, mode):
    before = activate(app, client)
    response = verify(client, mode, challenge="attacker", **{"hub.lease_seconds": "99999"})
    assert response.status_code == 404 and b"attacker" not in response.data
    assert row(app) == before


def test_a_verification_answers_one_request_only(app, client):
    before = activate(app, client)
    assert verify(client, "subscribe", **{"hub.lease_seconds": "99999"}).status_code == 404  # replayed
    assert row(app) == before


def test_a_subscribe_request_does_not_let_an_unsubscribe_through(app, client):
    ask_hub(app)
    assert verify(client, "unsubscribe").status_code == 404
    assert row(app)[0] == "pending"
    assert verify(client, "subscribe").status_code == 200


def test_another_topic_is_404(app, client):
    ask_hub(app)
    assert verify(client, "subscribe", topic="someone-else/CREDENTIAL_ISSUED").status_code == 404
    assert row(app)[0] == "pending"


def test_a_verification_after_the_hubs_time_is_404(app, client, monkeypatch):
    ask_hub(app)
    later = utcnow() + timedelta(hours=1)
    monkeypatch.setattr(api, "utcnow", lambda: later)
    assert verify(client, "subscribe").status_code == 404
    assert row(app)[0] == "pending"


def test_a_denial_nobody_asked_for_is_acknowledged_logged_and_changes_nothing(app, client, caplog):
    before = activate(app, client)
    caplog.set_level(logging.INFO)
    response = deny(client)
    assert response.status_code == 200
    assert row(app) == before
    assert any("denial" in r.getMessage() for r in caplog.records if r.name == api.log.name)


def test_a_denial_of_the_portals_request_is_recorded(app, client):
    ask_hub(app)
    assert deny(client).status_code == 200
    status, _, reason = row(app)
    assert status == "denied" and reason == "Subscriber is not authorized"
    assert deny(client, reason="something else").status_code == 200  # answered already: ignored
    assert row(app)[2] == "Subscriber is not authorized"


def test_already_registered_keeps_the_subscription(app, client):
    # MOSIP keeps the existing subscription when it denies a second one for the same topic and callback
    ask_hub(app)
    assert deny(client, reason="Subscriber has already registered with the Hub").status_code == 200
    status, _, reason = row(app)
    assert status != "denied" and "already registered" in reason


def test_the_renewal_unsubscribes_then_subscribes(app, client):
    activate(app, client)
    ask_hub(app, renew=True)
    hub = app.extensions["peers"].get("mosip")
    assert [r[0] for r in hub.requests] == ["subscribe", "unsubscribe", "subscribe"]
    assert verify(client, "unsubscribe", challenge="u-1").data == b"u-1"
    assert verify(client, "subscribe", challenge="s-2").data == b"s-2"
    assert row(app)[0] == "active"
    assert verify(client, "unsubscribe").status_code == 404  # both requests answered


def test_a_renewal_whose_unsubscribe_is_denied_still_subscribes(app, client):
    activate(app, client)
    ask_hub(app, renew=True)
    reason = f"Could not find a valid subscriber for Topic [{TOPIC}] and Callback [http://x/api/mosip/websub]"
    assert deny(client, reason=reason).status_code == 200
    assert verify(client, "subscribe").status_code == 200
    assert row(app)[0] == "active"
