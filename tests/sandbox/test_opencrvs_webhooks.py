"""Sandbox OpenCRVS webhooks: subscription with intent verification, signed deliveries, 3 attempts."""

import json
import threading

import pytest
from flask import Flask, jsonify, request

from portal_sandbox.opencrvs import create_app
from portal_sandbox.opencrvs.tokens import hub_signature
from tests.peers import free_port, live_peer

SHA_SECRET = "demo-opencrvs-webhook-secret"


def receiver_app(config=None):
    """A stand-in subscriber: answers the challenge (or not) and records what OpenCRVS sends."""
    app = Flask("receiver")
    app.config.update(config or {})
    seen = {"checks": [], "deliveries": []}
    lock = threading.Lock()
    app.extensions["seen"] = seen

    @app.get("/hook")
    def check():
        with lock:
            seen["checks"].append(dict(request.args))
        if app.config.get("CHALLENGE") == "wrong":
            return jsonify(challenge="not-it")
        if app.config.get("CHALLENGE") == "text":
            return request.args["challenge"]
        return jsonify(challenge=request.args.get("challenge"))

    @app.post("/hook")
    def deliver():
        with lock:
            seen["deliveries"].append({"body": request.get_data(), "signature": request.headers.get("X-Hub-Signature"),
                                       "content_type": request.headers.get("Content-Type")})
        return "", app.config.get("STATUS", 202)

    return app


@pytest.fixture
def opencrvs():
    with live_peer(create_app) as peer:
        yield peer


@pytest.fixture
def receiver():
    with live_peer(receiver_app) as peer:
        yield peer


def token(client):
    return client.post("/authenticateSystemClient", json={
        "client_id": "interop-portal", "client_secret": "demo-opencrvs-client-secret"}).json["token"]


def subscribe(client, callback, topic="BIRTH_REGISTERED", **hub):
    body = {"hub": {"callback": callback, "mode": "subscribe", "secret": SHA_SECRET, "topic": topic, **hub}}
    return client.post("/webhooks", json=body, headers={"Authorization": f"Bearer {token(client)}"})


def test_subscription_verifies_the_callback_then_answers_202(opencrvs, receiver):
    client = opencrvs.app.test_client()

    response = subscribe(client, f"{receiver.url}/hook")

    assert response.status_code == 202
    check = receiver.app.extensions["seen"]["checks"][0]
    assert set(check) == {"mode", "challenge", "topic"}  # no "hub." prefix, unlike W3C WebSub
    assert (check["mode"], check["topic"]) == ("subscribe", "BIRTH_REGISTERED")
    entries = client.get("/webhooks", headers={"Authorization": f"Bearer {token(client)}"}).json["entries"]
    assert [(e["topic"], e["callback"]) for e in entries] == [("BIRTH_REGISTERED", f"{receiver.url}/hook")]
    assert entries[0]["createdBy"]["type"] == "nationalId"


@pytest.mark.parametrize("answer", ["wrong", "text"])
def test_a_callback_that_does_not_echo_the_challenge_as_json_is_refused(opencrvs, answer):
    with live_peer(receiver_app, {"CHALLENGE": answer}) as receiver:
        response = subscribe(opencrvs.app.test_client(), f"{receiver.url}/hook")

    assert response.status_code == 400
    assert response.text == "Subscription callback check failed"


DENIALS = [
    ("unknown topic", {"topic": "MARRIAGE_REGISTERED"}, "Unsupported topic: MARRIAGE_REGISTERED"),
    ("wrong secret", {"secret": "nope"}, "hub.secret is incorrect"),
    ("wrong mode", {"mode": "unsubscribe"}, "hub.mode must be set to subscribe"),
]


@pytest.mark.parametrize("hub, reason", [d[1:] for d in DENIALS], ids=[d[0] for d in DENIALS])
def test_subscription_denials_have_opencrvs_shape(opencrvs, hub, reason):
    client = opencrvs.app.test_client()
    body = {"callback": "http://127.0.0.1:9/hook", "mode": "subscribe", "secret": SHA_SECRET,
            "topic": "BIRTH_REGISTERED", **hub}

    response = client.post("/webhooks", json={"hub": body}, headers={"Authorization": f"Bearer {token(client)}"})

    assert response.status_code == 400
    assert response.json == {"hub": {"mode": "denied", "topic": body["topic"], "reason": reason}}


def test_subscription_needs_a_token(opencrvs):
    response = opencrvs.app.test_client().post("/webhooks", json={"hub": {}})

    assert response.status_code == 401
    assert response.json["message"] == "Missing authentication"


def test_delivery_is_signed_as_opencrvs_signs(opencrvs, receiver):
    client = opencrvs.app.test_client()
    assert subscribe(client, f"{receiver.url}/hook").status_code == 202

    result = client.post("/_sandbox/emit", json={"sample": "birth-4"}).json

    assert result["deliveries"][0]["status"] == 202
    delivery = receiver.app.extensions["seen"]["deliveries"][0]
    body = delivery["body"].decode("utf-8")
    assert delivery["signature"] == hub_signature(body, SHA_SECRET)
    assert delivery["content_type"] == "application/json"
    payload = json.loads(body)
    assert set(payload) == {"timestamp", "id", "event"}
    assert payload["event"]["hub"] == {"topic": "BIRTH_REGISTERED"}
    assert payload["id"] == result["deliveries"][0]["webhook_id"]  # the subscription's id, as in core
    assert payload["event"]["context"][0]["resourceType"] == "Bundle"


def test_only_subscribers_of_the_topic_get_it(opencrvs, receiver):
    client = opencrvs.app.test_client()
    subscribe(client, f"{receiver.url}/hook", topic="DEATH_REGISTERED")

    result = client.post("/_sandbox/emit", json={"kind": "birth"}).json

    assert result["deliveries"] == []
    assert receiver.app.extensions["seen"]["deliveries"] == []


def test_unreachable_subscriber_gets_three_attempts(opencrvs, receiver):
    client = opencrvs.app.test_client()
    subscribe(client, f"{receiver.url}/hook")
    # Point the subscription at a closed port after it was verified.
    opencrvs.app.extensions["opencrvs"].subscriptions[0]["callback"] = f"http://127.0.0.1:{free_port()}/hook"

    result = client.post("/_sandbox/emit", json={"kind": "birth"}).json

    assert result["deliveries"][0]["attempts"] == 3
    assert result["deliveries"][0]["status"] is None
    assert len(client.get("/_sandbox/deliveries").json["deliveries"]) == 3


def test_a_5xx_answer_is_not_retried_like_bullmq(opencrvs):
    with live_peer(receiver_app, {"STATUS": 500}) as receiver:
        client = opencrvs.app.test_client()
        subscribe(client, f"{receiver.url}/hook")
        result = client.post("/_sandbox/emit", json={"kind": "birth"}).json

    assert (result["deliveries"][0]["status"], result["deliveries"][0]["attempts"]) == (500, 1)


def test_generated_records_are_deterministic_and_new_each_time(opencrvs):
    client = opencrvs.app.test_client()
    first = client.post("/_sandbox/emit", json={"kind": "birth", "count": 2}).json["records"]
    again = create_app({}).test_client().post("/_sandbox/emit", json={"kind": "birth", "count": 2}).json["records"]

    assert first == again
    assert first[0]["tracking_id"] != first[1]["tracking_id"]
    assert first[0]["registration_number"].endswith(first[0]["tracking_id"])


def test_deaths_take_the_national_ids_given(opencrvs):
    result = opencrvs.app.test_client().post("/_sandbox/emit", json={
        "kind": "death", "count": 2, "national_ids": ["1234567890"]}).json

    assert result["records"][0]["national_id"] == "1234567890"
    assert len(result["records"][1]["national_id"]) == 10


def test_mark_registered_route_dispatches_a_bundle(opencrvs, receiver):
    client = opencrvs.app.test_client()
    subscribe(client, f"{receiver.url}/hook", topic="DEATH_REGISTERED")
    from portal_sandbox.opencrvs.bundles import load_sample

    response = client.post("/events/death/mark-registered", json=load_sample("death-1"),
                           headers={"Authorization": f"Bearer {token(client)}"})

    assert response.status_code == 200
    assert len(receiver.app.extensions["seen"]["deliveries"]) == 1


def test_unknown_sample_is_refused(opencrvs):
    response = opencrvs.app.test_client().post("/_sandbox/emit", json={"sample": "nope"})

    assert response.status_code == 400
