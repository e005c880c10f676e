"""`POST /api/opencrvs/events`: OpenCRVS's signature, precise refusals, one packet per event, nothing
half-stored; `GET` answers OpenCRVS's intent verification only for topics we asked for."""

import json
import logging
import sys
from pathlib import Path

import pytest

from sqlalchemy.exc import OperationalError

from portal.clients.opencrvs.webhook import opencrvs_signature
from portal.extensions import db
from portal.packets import api
from portal.jobs import Job
from portal.packets.models import InboundEvent, Packet, PacketEvent, Subscription

SAMPLE = (Path(__file__).parents[2] / "portal_sandbox" / "opencrvs" / "samples"
          / "mosip-opencrvs__sampleDataFromOpencrvs1.json")
SECRET = "test-webhook-secret"
URL = "/api/opencrvs/events"


@pytest.fixture
def app(make_app):
    return make_app({"PORTAL_OPENCRVS_WEBHOOK_SECRET": SECRET})


def body_of(payload):
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()  # JSON.stringify


def post(client, raw, secret=SECRET, signature=None):
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["X-Hub-Signature"] = signature or opencrvs_signature(raw, secret)
    return client.post(URL, data=raw, headers=headers)


def counts(app):
    with app.app_context():
        return tuple(db.session.query(model).count() for model in (Packet, InboundEvent, PacketEvent, Job))


def sample():
    return json.loads(SAMPLE.read_text())


def test_a_signed_event_is_stored_with_its_packet_and_first_job(app, client):
    response = post(client, body_of(sample()))
    assert response.status_code == 202 and response.json["status"] == "accepted"
    assert counts(app) == (1, 1, 1, 1)
    with app.app_context():
        packet = db.session.get(Packet, response.json["packet"])
        assert (packet.kind, packet.state, packet.tracking_id, packet.registration_number) == \
            ("birth", "received", "B60QW1Y", "2022B60QW1Y")
        assert Job.query.one().kind == "mosip.create_packet"
        row = PacketEvent.query.one()  # the timeline's first row, with its key for the reader's language
        assert (row.detail, row.detail_key, row.detail_params) == \
            ("BIRTH_REGISTERED received from OpenCRVS (webhook)", "packet.received",
             {"topic": "BIRTH_REGISTERED", "source": "webhook"})


def test_the_same_event_twice_makes_one_packet(app, client):
    raw = body_of(sample())
    first, second = post(client, raw), post(client, raw)
    assert first.status_code == second.status_code == 202
    assert second.json == {"status": "duplicate", "packet": first.json["packet"]}
    assert counts(app) == (1, 1, 1, 1)


def tampered(raw):
    return raw.replace(b"B60QW1Y", b"B60QW1Z")


REFUSED_SIGNATURES = {
    "missing-header": dict(signature=False),
    "wrong-secret": dict(secret="not-the-secret"),
    "raw-body-hmac": dict(signature="sha256=" + "0" * 64),
    "sha1-form": dict(signature="sha1=" + "0" * 40),
}


@pytest.mark.parametrize("kwargs", REFUSED_SIGNATURES.values(), ids=REFUSED_SIGNATURES.keys())
def test_a_bad_signature_is_401_and_stores_nothing(app, client, kwargs):
    response = post(client, body_of(sample()), **kwargs)
    assert response.status_code == 401 and "X-Hub-Signature" in response.json["error"]
    assert counts(app) == (0, 0, 0, 0)


def test_a_tampered_body_is_401(app, client):
    raw = body_of(sample())
    response = client.post(URL, data=tampered(raw), headers={"X-Hub-Signature": opencrvs_signature(raw, SECRET)})
    assert response.status_code == 401
    assert counts(app) == (0, 0, 0, 0)


def without_child(payload):
    entries = payload["event"]["context"][0]["entry"]
    payload["event"]["context"][0]["entry"] = [e for e in entries if e["resource"]["resourceType"] != "Patient"]
    return payload


def with_topic(topic):
    payload = sample()
    payload["event"]["hub"]["topic"] = topic
    return payload


def with_tracking_id(tracking_id):
    payload = sample()
    for entry in payload["event"]["context"][0]["entry"]:
        resource = entry["resource"]
        for identifier in resource.get("identifier", []) if resource["resourceType"] == "Task" else []:
            if identifier["system"].endswith("/birth-tracking-id"):
                identifier["value"] = tracking_id
    return payload


BAD = {
    "malformed-json": (b'{"event": {', 400, "malformed JSON"),
    "not-an-object": (b"[1, 2]", 400, "JSON object"),
    "no-event": (body_of({"id": "x"}), 400, "'event'"),
    "unknown-topic": (body_of(with_topic("MARRIAGE_REGISTERED")), 422, "unsupported topic"),
    "no-child": (body_of(without_child(sample())), 422, "child"),
    "empty-context": (body_of({"event": {"hub": {"topic": "BIRTH_REGISTERED"}, "context": []}}), 422, "bundle"),
    "nan": (body_of(sample()).replace(b'"timestamp":', b'"x":NaN,"timestamp":', 1), 400, "NaN is not a JSON value"),
    "tracking-id-too-long": (body_of(with_tracking_id("B" * 65)), 422, "tracking id is longer than 64"),
}


@pytest.mark.parametrize("raw,status,words", BAD.values(), ids=BAD.keys())
def test_unusable_events_are_refused_precisely_and_store_nothing(app, client, raw, status, words):
    response = post(client, raw)
    assert response.status_code == status and words in response.json["error"]
    assert counts(app) == (0, 0, 0, 0)


def test_intent_verification_echoes_the_challenge_for_a_topic_we_asked_for(app, client):
    with app.app_context():
        db.session.add(Subscription(peer="opencrvs", topic="BIRTH_REGISTERED", callback="http://portal/api/opencrvs/events"))
        db.session.commit()
    response = client.get(URL, query_string={"mode": "subscribe", "challenge": "a+b/c==", "topic": "BIRTH_REGISTERED"})
    assert response.status_code == 200 and response.json == {"challenge": "a+b/c=="}
    other = client.get(URL, query_string={"mode": "subscribe", "challenge": "x", "topic": "DEATH_REGISTERED"})
    assert other.status_code == 404
    assert client.get(URL).status_code == 400


def test_a_birth_correction_becomes_an_update_packet(app, client):
    response = post(client, body_of(with_topic("BIRTH_CORRECTED")))
    assert response.status_code == 202
    with app.app_context():
        packet = db.session.get(Packet, response.json["packet"])
        assert (packet.topic, packet.process, packet.kind) == ("BIRTH_CORRECTED", "CRVS_UPDATE", "birth")


def test_a_database_that_cannot_be_reached_is_503_so_opencrvs_may_send_again(make_app, capsys):
    # Nothing listens on port 9 of the loopback: every connection is refused.
    app = make_app({"PORTAL_OPENCRVS_WEBHOOK_SECRET": SECRET,
                    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://portal@127.0.0.1:9/portal"})
    logging.getLogger().handlers[0].stream = sys.stderr  # the JSON log, into what capsys reads
    response = post(app.test_client(), body_of(sample()))
    assert response.status_code == 503 and "retry later" in response.json["error"]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert any(line["msg"] == "inbound event not stored" and "Connection refused" in line["exc"] for line in lines)
    logged = json.dumps(lines)
    assert "B60QW1Y" not in logged and "SQL parameters hidden" in logged  # no personal data, not even the body


# A connection dropped while the webhook is stored (PostgreSQL restarted, a failover, a proxy's idle timeout) is
# retried once on a fresh connection: OpenCRVS does not send a refused webhook again, so a 503 there loses a
# registration. pool_pre_ping checks a connection only when it is taken from the pool, not during its use.
class DroppedConnectionError(Exception):
    """What the driver raises when the server closes the connection under a statement."""


def dropped():
    return OperationalError("INSERT INTO packets …", {}, DroppedConnectionError("server closed the connection"),
                            connection_invalidated=True)


def test_a_connection_dropped_once_is_retried_and_the_event_stored_once(app, client, monkeypatch):
    accept, calls = api.accept_crvs_event, []

    def drops_the_first_time(event):
        calls.append(event.event_id)
        if len(calls) == 1:
            raise dropped()
        return accept(event)

    monkeypatch.setattr(api, "accept_crvs_event", drops_the_first_time)
    response = post(client, body_of(sample()))
    assert response.status_code == 202 and response.json["status"] == "accepted"
    assert len(calls) == 2 and counts(app) == (1, 1, 1, 1)


def test_a_connection_that_keeps_dropping_is_still_503(app, client, monkeypatch):
    def always_drops(event):
        raise dropped()

    monkeypatch.setattr(api, "accept_crvs_event", always_drops)
    response = post(client, body_of(sample()))
    assert response.status_code == 503
    assert counts(app) == (0, 0, 0, 0)
