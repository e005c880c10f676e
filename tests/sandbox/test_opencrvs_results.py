"""Sandbox OpenCRVS receiving the outcome: the 1.x country-config mediator and the 1.9 events API (tRPC)."""

import pytest
from flask import Flask, jsonify, request

from portal_sandbox.opencrvs import create_app
from tests.peers import live_peer


@pytest.fixture
def app():
    return create_app({"PUBLIC_URL": "http://opencrvs.test"})


@pytest.fixture
def client(app):
    return app.test_client()


def system_token(client, client_id="interop-portal", secret="demo-opencrvs-client-secret"):
    body = {"client_id": client_id, "client_secret": secret}
    return client.post("/authenticateSystemClient", json=body).json["token"]


def test_mediator_takes_the_uin_token_for_a_known_birth(client):
    record = client.post("/_sandbox/emit", json={"kind": "birth"}).json["records"][0]

    response = client.post("/mosip-openhim-mediator", json={
        "BRN": record["registration_number"], "MOSIP_PSUT_TOKEN_ID": "257803821990055124230310596669133515",
        "MOSIP_AID": "10001100010000120250101000000"}, headers={"Authorization": f"Bearer {system_token(client)}"})

    assert response.status_code == 200
    received = client.get("/_sandbox/received").json["received"]
    assert received[0]["kind"] == "mediator" and received[0]["matched"] is True
    stored = client.get("/_sandbox/records").json["records"][0]
    assert stored["identifiers"] == {"MOSIP_PSUT_TOKEN_ID": "257803821990055124230310596669133515",
                                     "MOSIP_AID": "10001100010000120250101000000"}


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({"Authorization": "Bearer not.a.token"}, 401),
], ids=["no token", "forged token"])
def test_mediator_refuses_without_a_valid_token(client, headers, status):
    assert client.post("/mosip-openhim-mediator", json={"BRN": "x"}, headers=headers).status_code == status


def test_mediator_refuses_a_system_without_national_id_scope(client):
    token = system_token(client, "health-system", "demo-health-secret")

    response = client.post("/mosip-openhim-mediator", json={"BRN": "x"}, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def receiver_app(config=None):
    """A stand-in interop layer that records the v1.9 call."""
    app = Flask("interop")
    app.extensions["calls"] = []

    @app.post("/api/opencrvs/registration")
    def registration():
        app.extensions["calls"].append({"auth": request.headers.get("Authorization"), "body": request.get_json()})
        return jsonify({}), 202

    return app


@pytest.fixture
def interop():
    with live_peer(receiver_app) as peer:
        yield peer


def v19_record(client, interop, kind="birth"):
    result = client.post("/_sandbox/emit", json={"kind": kind, "generation": "v1.9",
                                                  "url": f"{interop.url}/api/opencrvs/registration"}).json
    call = interop.app.extensions["calls"][-1]
    return result, call


def trpc(client, procedure, data, token, batch=True):
    url = f"/events/{procedure}" + ("?batch=1" if batch else "")
    body = {"0": {"json": data}} if batch else {"json": data}
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def test_v19_emit_posts_the_interop_payload_with_a_record_token(app, client, interop):
    result, call = v19_record(client, interop)

    assert result["deliveries"][0]["status"] == 202
    body = call["body"]
    assert set(body) == {"trackingId", "requestFields", "notification", "metaInfo", "audit"}
    assert body["trackingId"] == result["records"][0]["tracking_id"]
    assert body["requestFields"]["birthCertificateNumber"] == result["records"][0]["registration_number"]
    claims = app.extensions["opencrvs"].signer.verify(call["auth"].split(" ", 1)[1])
    assert claims["eventId"] == result["deliveries"][0]["event_id"]
    assert claims["actionId"] == result["deliveries"][0]["action_id"]


def test_register_accept_with_the_record_token_confirms_the_action(client, interop):
    result, call = v19_record(client, interop)
    ids = {"eventId": result["deliveries"][0]["event_id"], "actionId": result["deliveries"][0]["action_id"]}
    token = call["auth"].split(" ", 1)[1]
    data = {"transactionId": "mosip-interop-1", **ids, "registrationNumber": "2025BXXXXXX",
            "declaration": {"child.nid": "4829165037"}}

    response = trpc(client, "event.actions.register.accept", data, token)
    again = trpc(client, "event.actions.register.accept", data, token)  # same transaction: idempotent
    other = trpc(client, "event.actions.register.accept", {**data, "transactionId": "mosip-interop-2"}, token)

    assert response.status_code == 200
    assert response.json[0]["result"]["data"]["json"]["actions"][0]["status"] == "Accepted"
    assert again.status_code == 200
    assert other.status_code == 409
    assert other.json[0]["error"]["json"]["data"]["code"] == "CONFLICT"
    received = client.get("/_sandbox/received").json["received"]
    assert received[0]["kind"] == "register.accept"
    assert received[0]["body"]["declaration"] == {"child.nid": "4829165037"}


def test_record_token_is_bound_to_its_action(client, interop):
    result, call = v19_record(client, interop)
    token = call["auth"].split(" ", 1)[1]

    response = trpc(client, "event.actions.register.accept", {
        "transactionId": "t", "eventId": result["deliveries"][0]["event_id"], "actionId": "another-action",
        "registrationNumber": "x"}, token)

    assert response.status_code == 403
    assert response.json[0]["error"]["json"]["code"] == -32003


def test_reject_then_reason(client, interop):
    result, _ = v19_record(client, interop, kind="death")
    ids = {"eventId": result["deliveries"][0]["event_id"], "actionId": result["deliveries"][0]["action_id"]}
    token = system_token(client)

    assert trpc(client, "event.actions.register.reject", {"transactionId": "t1", **ids}, token).status_code == 200
    assert trpc(client, "event.actions.reject.request", {"transactionId": "t2", **ids,
                                                         "content": {"reason": "REJECTED by MOSIP"}},
                token, batch=False).json["result"]["data"]["json"]["actions"][0]["status"] == "Rejected"
    kinds = [r["kind"] for r in client.get("/_sandbox/received").json["received"]]
    assert kinds == ["register.reject", "reject.request"]


@pytest.mark.parametrize("procedure, data, code", [
    ("event.actions.register.accept", {"transactionId": "t", "eventId": "nope", "actionId": "a",
                                       "registrationNumber": "x"}, "NOT_FOUND"),
    ("event.actions.register.accept", {"transactionId": "t", "eventId": "e", "actionId": "a"}, "BAD_REQUEST"),
    ("event.actions.delete", {"transactionId": "t", "eventId": "e", "actionId": "a"}, "NOT_FOUND"),
], ids=["unknown event", "no registration number", "unknown procedure"])
def test_trpc_errors(client, procedure, data, code):
    response = trpc(client, procedure, data, system_token(client))

    assert response.json[0]["error"]["json"]["data"]["code"] == code


def test_trpc_needs_a_token(client):
    response = client.post("/events/event.actions.register.accept?batch=1", json={"0": {"json": {}}})

    assert response.status_code == 401
