"""OpenCRVS -> portal over real HTTP: the client subscribes, the sandbox delivers signed webhooks and the
portal's intake functions accept them; the v1.9 interop call's JWT verifies with OpenCRVS's key."""

import threading

import pytest
from flask import Flask, jsonify, request

from portal.clients import opencrvs
from portal.clients.opencrvs.interop import parse_interop_registration
from portal.clients.opencrvs.webhook import IntakeError, parse_event, verify_opencrvs_signature
from portal_sandbox.opencrvs import create_app
from portal_sandbox.opencrvs.tokens import Signer
from tests.peers import live_peer

SECRET = "demo-opencrvs-webhook-secret"


def mini_portal(config):
    """The portal's two OpenCRVS endpoints reduced to the intake functions (the real ones live in
    portal/packets/api.py): GET answers the challenge, POST verifies and parses."""
    app = Flask("mini-portal")
    app.config.update(config)
    app.extensions["events"], app.extensions["refusals"] = [], []
    lock = threading.Lock()

    @app.get("/api/opencrvs/events")
    def challenge():
        return jsonify(challenge=request.args.get("challenge"))

    @app.post("/api/opencrvs/events")
    def events():
        raw = request.get_data()
        if not verify_opencrvs_signature(raw, request.headers.get("X-Hub-Signature"), SECRET):
            return jsonify(error="bad signature"), 401
        try:
            event = parse_event(raw)
        except IntakeError as exc:
            return jsonify(error=exc.message), exc.status
        with lock:
            app.extensions["events"].append(event)
        return "", 202

    @app.post("/api/opencrvs/registration")
    def registration():
        client = app.config["CLIENT"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = client.verify_record_token(token)
        except opencrvs.TokenRejectedError as exc:
            app.extensions["refusals"].append(str(exc))
            return jsonify(error="Unauthorized"), 401
        event = parse_interop_registration(request.get_data(), claims)
        with lock:
            app.extensions["events"].append((event, token))
        return jsonify({}), 202

    return app


@pytest.fixture
def peer():
    with live_peer(create_app) as live:
        yield live


@pytest.fixture
def portal(peer):
    client = opencrvs.from_config({"PORTAL_OPENCRVS_URL": peer.url, "PORTAL_OPENCRVS_WEBHOOK_SECRET": SECRET,
                                   "PORTAL_OPENCRVS_CLIENT_ID": "interop-portal",
                                   "PORTAL_OPENCRVS_CLIENT_SECRET": "demo-opencrvs-client-secret",
                                   "PORTAL_OPENCRVS_GENERATION": "v1.9"})
    with live_peer(mini_portal, {"CLIENT": client}) as live:
        live.client = client
        yield live


def emit(peer, **body):
    return peer.app.test_client().post("/_sandbox/emit", json=body).json


def test_subscribing_twice_makes_one_subscription_per_topic(peer, portal):
    callback = f"{portal.url}/api/opencrvs/events"

    assert portal.client.ensure_subscribed(callback) == ["BIRTH_REGISTERED", "DEATH_REGISTERED"]
    assert portal.client.ensure_subscribed(callback) == []
    assert sorted(s.topic for s in portal.client.subscriptions()) == ["BIRTH_REGISTERED", "DEATH_REGISTERED"]


def test_births_and_deaths_arrive_signed_and_parse(peer, portal):
    portal.client.ensure_subscribed(f"{portal.url}/api/opencrvs/events")

    births = emit(peer, kind="birth", count=3)
    deaths = emit(peer, kind="death", count=2, national_ids=["1234567890"])

    assert {d["status"] for d in births["deliveries"] + deaths["deliveries"]} == {202}
    events = portal.app.extensions["events"]
    assert [e.kind for e in events] == ["birth"] * 3 + ["death"] * 2
    assert [e.tracking_id for e in events] == [r["tracking_id"] for r in births["records"] + deaths["records"]]
    assert events[3].deceased_national_id == "1234567890"
    assert all(e.fields()["dateOfBirth"] for e in events)


def test_every_real_sample_survives_the_wire(peer, portal):
    portal.client.ensure_subscribed(f"{portal.url}/api/opencrvs/events")
    from portal_sandbox.opencrvs.bundles import SAMPLES

    statuses = [emit(peer, sample=name)["deliveries"][0]["status"] for name in SAMPLES]

    assert statuses == [202] * len(SAMPLES)


def test_a_subscription_with_the_wrong_secret_is_refused_by_opencrvs(peer, portal):
    client = opencrvs.OpenCrvsClient(peer.url, "interop-portal", "demo-opencrvs-client-secret", "wrong-secret")

    with pytest.raises(opencrvs.PermanentPeerError, match="hub.secret is incorrect"):
        client.subscribe("BIRTH_REGISTERED", f"{portal.url}/api/opencrvs/events")


def test_an_unreachable_callback_is_a_transient_failure(peer):
    client = opencrvs.OpenCrvsClient(peer.url, "interop-portal", "demo-opencrvs-client-secret", SECRET)

    with pytest.raises(opencrvs.TransientPeerError) as caught:
        client.subscribe("BIRTH_REGISTERED", "http://127.0.0.1:9/api/opencrvs/events")

    assert caught.value.code == "callback_check"


def test_v19_call_verifies_and_the_confirmation_reaches_opencrvs(peer, portal):
    result = emit(peer, kind="birth", generation="v1.9", url=f"{portal.url}/api/opencrvs/registration")

    assert result["deliveries"][0]["status"] == 202
    event, token = portal.app.extensions["events"][0]
    assert event.opencrvs_event_id == result["deliveries"][0]["event_id"]
    portal.client.send_outcome(opencrvs.Outcome(
        kind="birth", registration_number=event.registration_number, uin_token="4829165037",
        opencrvs_event_id=event.opencrvs_event_id, action_id=event.action_id, record_token=token,
        transaction_id=f"mosip-interop-{event.event_id}"))

    accepted = peer.app.extensions["opencrvs"].received[0]
    assert accepted["kind"] == "register.accept"
    assert accepted["body"]["declaration"] == {"child.nid": "4829165037"}
    assert accepted["body"]["registrationNumber"] == result["records"][0]["registration_number"]


def test_v19_rejection_sends_the_reason(peer, portal):
    emit(peer, kind="death", generation="v1.9", url=f"{portal.url}/api/opencrvs/registration")
    event, token = portal.app.extensions["events"][0]

    portal.client.send_outcome(opencrvs.Outcome(
        kind="death", registration_number=event.registration_number, error_code="REJECTED",
        error_message="UIN not found", opencrvs_event_id=event.opencrvs_event_id, action_id=event.action_id,
        record_token=token))

    kinds = [(r["kind"], r["body"].get("content")) for r in peer.app.extensions["opencrvs"].received]
    assert kinds == [("register.reject", None), ("reject.request", {"reason": "UIN not found"})]


def test_v19_confirmation_falls_back_to_the_system_token_when_the_record_token_expired(peer, portal):
    emit(peer, kind="birth", generation="v1.9", url=f"{portal.url}/api/opencrvs/registration")
    event, _ = portal.app.extensions["events"][0]
    expired = peer.app.extensions["opencrvs"].signer.sign({"eventId": event.opencrvs_event_id, "exp": 1})

    portal.client.send_outcome(opencrvs.Outcome(
        kind="birth", registration_number=event.registration_number, uin_token="4829165037",
        opencrvs_event_id=event.opencrvs_event_id, action_id=event.action_id, record_token=expired))

    assert peer.app.extensions["opencrvs"].received[0]["kind"] == "register.accept"


@pytest.mark.parametrize("forge", ["other key", "expired", "not a jwt", "alg none"])
def test_a_bad_interop_token_is_refused(peer, portal, forge):
    client = portal.client
    if forge == "other key":
        token = Signer().issue("x", [], 600, eventId="e", actionId="a")
    elif forge == "expired":
        token = peer.app.test_client().post("/_sandbox/token", json={"expired": True}).json["token"]
    elif forge == "not a jwt":
        token = "hello"
    else:
        good = peer.app.extensions["opencrvs"].record_token("e", "a").split(".")
        token = "eyJhbGciOiJub25lIn0." + good[1] + "."

    with pytest.raises(opencrvs.TokenRejectedError):
        client.verify_record_token(token)


def test_record_token_verifies_with_a_jwks_too(peer):
    client = opencrvs.OpenCrvsClient(peer.url, "c", "s", "w", public_key_url=f"{peer.url}/.well-known/jwks.json")
    token = peer.app.test_client().post("/_sandbox/token", json={"eventId": "e", "actionId": "a"}).json["token"]

    assert client.verify_record_token(token)["eventId"] == "e"


def test_a_rotated_opencrvs_key_is_fetched_again(peer, portal):
    state = peer.app.extensions["opencrvs"]
    portal.client.verify_record_token(state.record_token("e", "a"))  # caches the first key
    portal.client._keys_fetched -= 60
    state.signer = Signer()

    assert portal.client.verify_record_token(state.record_token("e2", "a2"))["eventId"] == "e2"
