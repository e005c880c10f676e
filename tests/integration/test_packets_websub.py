"""`/api/mosip/websub`: HMAC over the raw body, intent verification, stored before acknowledged, one
processing per event; credentials decrypted (inline, data share), a lost delivery caught by the status."""

import json
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from portal.extensions import db
from portal.jobs import Job
from portal.packets.models import InboundEvent, Subscription
from portal.timeutil import utcnow
from tests.fakes.mosip import hub_signature
from tests.fakes.mosip_crypto import encrypt_ver_r2
from tests.integration.packets_support import WEBSUB_SECRET, all_in, open_world

URL = "/api/mosip/websub"
CERT = (Path(__file__).parents[2] / "portal_sandbox" / "mosip" / "demo-partner-cert.pem").read_bytes()


def credential_event(rid="10001100040000120250101000000", event_id="e-1", recipient=CERT):
    vc = {"credentialSubject": {"id": f"http://credential.idrepo/credentials/{rid}", "UIN": "2784528096",
                                "VID": "8031687218402171"}}
    return {"publisher": "CREDENTIAL_SERVICE", "topic": "opencrvs-partner/CREDENTIAL_ISSUED",
            "publishedOn": "2025-01-01T00:00:00.000Z",
            "event": {"id": event_id, "transactionId": "t-1", "type": {"namespace": "mosip", "name": "mosip"},
                      "timestamp": "2025-01-01T00:00:00.000Z", "dataShareUri": None,
                      "data": {"credential": encrypt_ver_r2(json.dumps(vc).encode(), recipient),
                               "credentialType": "opencrvs", "protectionKey": "", "registrationId": rid}}}


def post(client, raw, secret=WEBSUB_SECRET, signature=None):
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["X-Hub-Signature"] = signature or hub_signature(secret, raw)
    return client.post(URL, data=raw, headers=headers)


@pytest.fixture
def app(make_app):
    return make_app({"PORTAL_MOSIP_WEBSUB_SECRET": WEBSUB_SECRET})


def stored(app):
    with app.app_context():
        return (InboundEvent.query.filter_by(channel="mosip").count(),
                Job.query.filter_by(kind="mosip.credential").count())


def test_a_signed_delivery_is_stored_and_acknowledged(app, client):
    raw = json.dumps(credential_event()).encode()
    response = post(client, raw)
    assert response.status_code == 200
    assert response.json["event"] == {"id": "e-1", "requestId": "t-1", "timestamp": response.json["event"]["timestamp"],
                                      "status": "RECEIVED", "url": ""}
    assert stored(app) == (1, 1)


def test_the_same_event_twice_is_stored_once(app, client):
    raw = json.dumps(credential_event()).encode()
    assert post(client, raw).status_code == post(client, raw).status_code == 200
    assert stored(app) == (1, 1)


@pytest.mark.parametrize("kwargs", [dict(signature=False), dict(secret="wrong"),
                                    dict(signature="sha256=" + "0" * 64)], ids=["missing", "wrong-secret", "forged"])
def test_bad_signatures_are_401(app, client, kwargs):
    assert post(client, json.dumps(credential_event()).encode(), **kwargs).status_code == 401
    assert stored(app) == (0, 0)


def test_a_tampered_body_is_401(app, client):
    raw = json.dumps(credential_event()).encode()
    response = client.post(URL, data=raw.replace(b"e-1", b"e-2"),
                           headers={"X-Hub-Signature": hub_signature(WEBSUB_SECRET, raw)})
    assert response.status_code == 401


@pytest.mark.parametrize("raw,status", [(b"{not json", 400), (b'"text"', 400), (b'{"topic": "x"}', 422),
                                        (json.dumps({"event": {"id": "1", "data": {}}}).encode(), 422)],
                         ids=["malformed", "not-object", "no-event", "no-credential"])
def test_unusable_deliveries_are_refused(app, client, raw, status):
    assert post(client, raw).status_code == status
    assert stored(app) == (0, 0)


def test_intent_verification(app, client):
    with app.app_context():
        db.session.add(Subscription(peer="mosip", topic="opencrvs-partner/CREDENTIAL_ISSUED",
                                    callback="http://x/api/mosip/websub", lease_seconds=600,
                                    subscribe_requested_at=utcnow()))  # the portal asked (subscribe_websub)
        db.session.commit()
    params = {"hub.mode": "subscribe", "hub.topic": "opencrvs-partner/CREDENTIAL_ISSUED", "hub.challenge": "c-1",
              "hub.lease_seconds": "600"}
    response = client.get(URL, query_string=params)
    assert response.status_code == 200 and response.data == b"c-1" and response.mimetype == "text/plain"
    with app.app_context():
        row = Subscription.query.one()
        assert row.status == "active" and (row.expires_at - utcnow()).total_seconds() > 500
    assert client.get(URL, query_string={**params, "hub.topic": "someone/CREDENTIAL_ISSUED"}).status_code == 404
    assert client.get(URL, query_string={"hub.mode": "subscribe"}).status_code == 400
    with app.app_context():
        Subscription.query.one().subscribe_requested_at = utcnow()  # asked again: the hub denies it this time
        db.session.commit()
    denied = client.get(URL, query_string={"hub.mode": "denied", "hub.topic": "opencrvs-partner/CREDENTIAL_ISSUED",
                                           "hub.reason": "Subscriber is not authorized"})
    assert denied.status_code == 200
    with app.app_context():
        assert Subscription.query.one().status == "denied"


# --- through the whole pipeline -------------------------------------------------------------------------
@pytest.fixture
def world(make_app, request):
    options = getattr(request, "param", {})
    with ExitStack() as stack:
        yield open_world(stack, make_app, mosip_config=options.get("mosip"), portal_config=options.get("portal"))


@pytest.mark.parametrize("world", [{"portal": {"PORTAL_PACKETS_CREDENTIAL_GRACE": 0}}], indirect=True,
                         ids=["no-grace"])
def test_a_lost_delivery_is_caught_by_the_status_and_the_identity_repository(world):
    world.subscribe(mosip=False)  # the credential goes nowhere
    world.emit("birth")
    packet = world.drive(all_in("notified"))[0]
    assert any("identity repository" in (d or "") for _, _, d in world.timeline(packet.id))
    assert len(packet.uin_token) == 36


@pytest.mark.parametrize("world", [{"mosip": {"CREDENTIAL_VIA_DATASHARE": True}}], indirect=True, ids=["datashare"])
def test_a_credential_behind_a_data_share(world):
    world.subscribe()
    world.emit("birth")
    packet = world.drive(all_in("notified"))[0]
    assert any("WebSub credential" in (d or "") for _, _, d in world.timeline(packet.id))


def test_a_replayed_delivery_is_processed_once(world):
    world.subscribe()
    world.emit("birth")
    world.drive(all_in("notified"))
    delivery = world.mosip_state()["hub"]["deliveries"][0]
    assert delivery["status"] == "delivered"
    # replay exactly what the hub sent (same event id)
    event = world.mosip.app.extensions["mosip_state"].hub.events[delivery["event"] - 1]["body"]
    response = httpx.post(f"{world.portal.url}{URL}", content=event,
                          headers={"X-Hub-Signature": hub_signature(WEBSUB_SECRET, event),
                                   "Content-Type": "application/json"})
    assert response.status_code == 200
    world.drive(all_in("notified"))
    with world.app.app_context():
        assert InboundEvent.query.filter_by(channel="mosip").count() == 1
    assert len([r for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"]) == 1


@pytest.mark.parametrize("world", [{"portal": {"PORTAL_PACKETS_CREDENTIAL_GRACE": 0}}], indirect=True,
                         ids=["no-grace"])
def test_a_credential_for_another_key_is_a_clear_error_and_the_packet_still_finishes(world):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    httpx.post(f"{world.mosip.url}/_sandbox/partners/opencrvs-partner/certificate", content=pem)
    world.subscribe()
    world.emit("birth")

    def notified_and_credential_refused(packets):
        # Without a grace period the packet may be notified (UIN from the identity repository) before the
        # hub's delivery arrives: wait for both.
        with world.app.app_context():
            job = Job.query.filter_by(kind="mosip.credential").one_or_none()
            done = job is not None and job.status == "dead"
            db.session.remove()
        return done and all_in("notified")(packets)

    packet = world.drive(notified_and_credential_refused)[0]
    with world.app.app_context():
        inbound = InboundEvent.query.filter_by(channel="mosip").one()
        assert inbound.status == "error" and "not encrypted for this partner key" in inbound.detail
        dead = Job.query.filter_by(kind="mosip.credential").one()
        assert dead.status == "dead" and "not encrypted for this partner key" in dead.last_error
    assert any("credential could not be used" in (d or "") for _, _, d in world.timeline(packet.id))
