"""`GET /api/mosip/websub` with parameters no hub sends: a NUL character (PostgreSQL refuses it in text), a lease no
clock can add (`timedelta` overflows), a lease that is not a plain non-negative integer. Each is a 400 that names the
parameter, never a 500, and the recorded subscription does not change (issue 12)."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.packets.handlers import subscribe_websub
from portal.packets.models import Subscription
from tests.fakes.mosip import TOPIC, FakeHub

URL = "/api/mosip/websub"


@pytest.fixture
def app(make_app):
    app = make_app({"PORTAL_MOSIP_PARTNER_ID": "opencrvs-partner"})
    app.extensions["peers"]._clients["mosip"] = FakeHub()
    with app.app_context():
        subscribe_websub()  # a request is pending: every parameter is read
    return app


def status(app):
    with app.app_context():
        found = db.session.execute(select(Subscription).filter_by(peer="mosip")).scalar_one()
        return found.status, found.expires_at, found.reason


def refused(response, parameter):
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    # the view's own refusal, or the app's refusal of a NUL in any query parameter (portal/inputs.py)
    assert parameter in " ".join(str(value) for value in response.json.values())
    return True


@pytest.mark.parametrize("mode", ["subscribe", "unsubscribe", "denied"])
def test_a_nul_in_the_topic(app, client, mode):
    before = status(app)
    response = client.get(URL, query_string={"hub.mode": mode, "hub.topic": TOPIC + "\x00", "hub.challenge": "c",
                                             "hub.reason": "r"})
    assert refused(response, "hub.topic") and status(app) == before


@pytest.mark.parametrize("mode", ["subscribe", "denied"])
def test_a_topic_longer_than_any_the_portal_asks_for(app, client, mode):
    response = client.get(URL, query_string={"hub.mode": mode, "hub.topic": "t" * 121, "hub.challenge": "c"})
    assert refused(response, "hub.topic")


@pytest.mark.parametrize("challenge", ["c\x00", "c\n", "x" * 201])
def test_a_challenge_that_is_not_a_short_printable_text(app, client, challenge):
    before = status(app)
    response = client.get(URL, query_string={"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": challenge,
                                             "hub.lease_seconds": "600"})
    assert refused(response, "hub.challenge") and status(app) == before


def test_a_nul_in_a_denials_reason(app, client):
    before = status(app)
    response = client.get(URL, query_string={"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "no\x00"})
    assert refused(response, "hub.reason") and status(app) == before


LEASES = {
    "beyond-any-clock": "99999999999999999999",
    "beyond-the-bound": str(10 * 366 * 86400),
    "negative": "-1",
    "decimal": "1.5",
    "exponent": "1e9",
    "text": "a-day",
    "underscores": "86_400",
    "plus-sign": "+600",
    "spaces": " 600 ",
    "arabic-indic-digits": "\u0666\u0660\u0660",
    "empty": "",
}


@pytest.mark.parametrize("lease", LEASES.values(), ids=LEASES.keys())
def test_a_lease_that_is_not_a_sane_number_of_seconds(app, client, lease):
    before = status(app)
    response = client.get(URL, query_string={"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c",
                                             "hub.lease_seconds": lease})
    assert refused(response, "hub.lease_seconds") and status(app) == before
    # the request is still pending: the hub's real verification goes through
    good = client.get(URL, query_string={"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c",
                                         "hub.lease_seconds": "600"})
    assert good.status_code == 200 and status(app)[0] == "active"
