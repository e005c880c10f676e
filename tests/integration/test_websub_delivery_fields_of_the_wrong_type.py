"""A correctly signed `POST /api/mosip/websub` whose fields have the wrong JSON type, or a text longer than its
column, is refused with a 422 that names the field, never a 500 and never a 503: a 503 tells MOSIP's hub to deliver
again a message that can never be stored (issue 12: a `topic` object answered 500, a `topic` list 503).

Every field `parse_credential_event` reads is tried with an object, a list, a number, a boolean, null and a long
text; each answer is what the field's type allows: the event is stored (200) or refused with the field's name."""

import json

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.packets.models import InboundEvent
from tests.fakes.mosip import hub_signature

URL = "/api/mosip/websub"
SECRET = "test-websub-secret"
LONG = "x" * 5000


@pytest.fixture
def app(make_app):
    return make_app({"PORTAL_MOSIP_WEBSUB_SECRET": SECRET})


def delivery(event_id):
    return {"publisher": "CREDENTIAL_SERVICE", "topic": "opencrvs-partner/CREDENTIAL_ISSUED",
            "publishedOn": "2025-01-01T00:00:00.000Z",
            "event": {"id": event_id, "transactionId": "t-1", "timestamp": "2025-01-01T00:00:00.000Z",
                      "dataShareUri": None,
                      "data": {"credential": "ZW5jcnlwdGVk", "credentialType": "opencrvs", "protectionKey": "",
                               "registrationId": "10001100040000120250101000000", "opencrvsBRN": "2022B60QW1Y",
                               "additionalData": {"opencrvsBRN": "2022B60QW1Y"}}}}


def put(body, path, value):
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def post(client, body):
    raw = json.dumps(body).encode()
    return client.post(URL, data=raw, content_type="application/json",
                       headers={"X-Hub-Signature": hub_signature(SECRET, raw)})


# path -> what the field may hold: "text" (a string or null), "text!" (a string, required), "id" (a record
# identifier or what holds them: anything else names no record and is ignored, the credential being matched on
# its other keys, see tests/unit/test_mosip_credential_identifiers.py); and the longest text its column keeps.
FIELDS = {
    ("topic",): ("text", 120),
    ("publisher",): ("text", None),
    ("publishedOn",): ("text", None),
    ("event", "id"): ("text!", 200),
    ("event", "transactionId"): ("text", None),
    ("event", "dataShareUri"): ("text", None),
    ("event", "data", "credential"): ("text", None),
    ("event", "data", "credentialType"): ("text", None),
    ("event", "data", "protectionKey"): ("text", None),
    ("event", "data", "registrationId"): ("id", None),
    ("event", "data", "opencrvsBRN"): ("id", None),
    ("event", "data", "opencrvsId"): ("id", None),
    ("event", "data", "additionalData"): ("id", None),  # only a holder of identifiers
    ("event", "data", "additionalData", "registrationId"): ("id", None),
    ("event", "data", "additionalData", "opencrvsBRN"): ("id", None),
    ("event", "data", "additionalData", "opencrvsId"): ("id", None),
}
ODD = {"object": {"a": "b"}, "list": ["x"], "number": 7, "fraction": 1.5, "boolean": True, "null": None,
       "long text": LONG}


def expected(kind, limit, odd):
    """200 when the field may hold this value (or ignores it), else 422."""
    value = ODD[odd]
    if value is None:
        return 422 if kind == "text!" else 200
    if kind == "id":
        return 200
    if isinstance(value, str):
        return 422 if limit is not None and len(value) > limit else 200
    return 422


@pytest.mark.parametrize("path", FIELDS, ids=[".".join(p) for p in FIELDS])
def test_each_field_with_each_odd_value(app, path):
    kind, limit = FIELDS[path]
    client = app.test_client()
    answers = {}
    for n, odd in enumerate(ODD):
        body = delivery(f"e-{n}")
        put(body, path, ODD[odd])
        if path == ("event", "data", "credential") and ODD[odd] is None:
            body["event"]["dataShareUri"] = "http://mosip/datashare/1"  # a credential comes one way or the other
        response = post(client, body)
        answers[odd] = response.status_code
        if response.status_code == 422:
            assert ".".join(path) in response.json["error"], (odd, response.json)
    assert answers == {odd: expected(kind, limit, odd) for odd in ODD}
    with app.app_context():
        stored = db.session.execute(select(func.count()).select_from(InboundEvent)).scalar()
    assert stored == sum(1 for code in answers.values() if code == 200)


def test_a_delivery_that_is_no_event_object(app):
    client = app.test_client()
    for value in ([], ["x"], 7, True, None, LONG):
        body = delivery("e-1")
        body["event"] = value
        response = post(client, body)
        assert response.status_code == 422 and "event" in response.json["error"]
    body = delivery("e-1")
    body["event"]["data"] = ["x"]
    response = post(client, body)
    assert response.status_code == 422 and "event.data" in response.json["error"]
