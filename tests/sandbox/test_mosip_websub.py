"""Sandbox MOSIP WebSub hub over real HTTP: cookie auth and roles, intent verification, leases, signed
deliveries with retries, VER_R2-encrypted credentials (inline or through a data share)."""

import hashlib
import hmac
import json

import httpx
import pytest

from portal_sandbox.mosip import create_app
from tests.peers import live_peer
from tests.sandbox.mosip_support import (SECRET, TOPIC, Receiver, birth, decrypt, hub, state, subscribe, token,
                                         wait_until)


@pytest.fixture
def peers():
    receiver = Receiver()
    config = {"PROCESSING_DELAY": 0, "DELIVERY_BACKOFF": 0.05}
    with live_peer(create_app, config) as mosip, live_peer(lambda _: receiver.app) as sub:
        yield mosip, receiver, f"{sub.url}/cb"


def test_subscription_is_accepted_then_verified_by_challenge(peers):
    mosip, receiver, callback = peers
    response = subscribe(mosip.url, callback, **{"hub.lease_seconds": "600"})
    assert response.status_code == 202 and response.text == "hub.mode=accepted"
    verification = receiver.wait_for("verifications")[0]
    assert verification["hub.mode"] == "subscribe" and verification["hub.topic"] == TOPIC
    assert verification["hub.lease_seconds"] == "600" and verification["hub.challenge"]
    wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])


def test_a_callback_that_does_not_echo_is_not_subscribed(peers):
    mosip, receiver, callback = peers
    receiver.echo = False
    subscribe(mosip.url, callback)
    receiver.wait_for("verifications")
    wait_until(lambda: state(mosip.url)["hub"]["verifications"])
    assert state(mosip.url)["hub"]["subscriptions"] == []


@pytest.mark.parametrize("who,reason", [
    (None, "Authorization token cannot be found"),
    ("mosip-readonly-client", "Subscriber is not authorized"),
], ids=["no-cookie", "other-partner"])
def test_unauthorized_subscribers_are_denied_with_500(peers, who, reason):
    mosip, _, callback = peers
    jwt = token(mosip.url, who, "readonly-secret") if who else None
    response = hub(mosip.url, jwt, **{"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": callback})
    assert response.status_code == 500
    assert response.text == "hub.mode=denied&" + httpx.QueryParams({"hub.reason": reason}).__str__()


def test_a_second_identical_subscription_is_denied_by_a_get(peers):
    mosip, receiver, callback = peers
    subscribe(mosip.url, callback)
    receiver.wait_for("verifications")
    wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])
    subscribe(mosip.url, callback)
    denial = receiver.wait_for("verifications", 2)[1]
    assert denial["hub.mode"] == "denied" and denial["hub.reason"] == "Subscriber has already registered with the Hub"


def test_a_credential_is_delivered_signed_and_encrypted_for_the_partner(peers):
    mosip, receiver, callback = peers
    jwt = token(mosip.url)
    subscribe(mosip.url, callback, jwt)
    wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])
    rid = birth(mosip.url, jwt)
    delivery = receiver.wait_for("deliveries")[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), delivery["body"], hashlib.sha256).hexdigest()
    assert delivery["signature"] == expected
    event = json.loads(delivery["body"])
    assert event["topic"] == TOPIC and event["publisher"] == "CREDENTIAL_SERVICE"
    data = event["event"]["data"]
    assert data["registrationId"] == rid and data["opencrvsBRN"] == "2022B60QW1Y"
    credential = decrypt(data["credential"])
    subject = credential["credentialSubject"]
    assert subject["id"].endswith(rid) and len(subject["UIN"]) == 10 and len(subject["VID"]) == 16


def test_failed_deliveries_are_retried(peers):
    mosip, receiver, callback = peers
    receiver.fail_next = 2
    jwt = token(mosip.url)
    subscribe(mosip.url, callback, jwt)
    wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])
    birth(mosip.url, jwt)
    receiver.wait_for("deliveries", 3)
    wait_until(lambda: state(mosip.url)["hub"]["deliveries"][0]["status"] == "delivered")
    assert state(mosip.url)["hub"]["deliveries"][0]["attempts"] == 3


def test_events_wait_for_a_subscriber(peers):
    mosip, receiver, callback = peers
    jwt = token(mosip.url)
    birth(mosip.url, jwt)
    wait_until(lambda: state(mosip.url)["hub"]["events"])
    subscribe(mosip.url, callback, jwt)
    assert receiver.wait_for("deliveries")


def test_an_expired_lease_gets_nothing(peers):
    mosip, receiver, callback = peers
    jwt = token(mosip.url)
    subscribe(mosip.url, callback, jwt, **{"hub.lease_seconds": "0"})
    receiver.wait_for("verifications")
    wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])
    birth(mosip.url, jwt)
    wait_until(lambda: state(mosip.url)["hub"]["events"])
    assert state(mosip.url)["hub"]["deliveries"] == []


def test_unsubscribe_is_verified_then_removes_the_subscription(peers):
    mosip, receiver, callback = peers
    jwt = token(mosip.url)
    subscribe(mosip.url, callback, jwt)
    wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])
    hub(mosip.url, jwt, **{"hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.callback": callback})
    assert receiver.wait_for("verifications", 2)[1]["hub.mode"] == "unsubscribe"
    wait_until(lambda: not state(mosip.url)["hub"]["subscriptions"])


def test_credentials_can_travel_through_a_data_share():
    receiver = Receiver()
    with live_peer(create_app, {"PROCESSING_DELAY": 0, "CREDENTIAL_VIA_DATASHARE": True}) as mosip, \
            live_peer(lambda _: receiver.app) as sub:
        jwt = token(mosip.url)
        subscribe(mosip.url, f"{sub.url}/cb", jwt)
        wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])
        birth(mosip.url, jwt)
        event = json.loads(receiver.wait_for("deliveries")[0]["body"])["event"]
        assert "credential" not in event["data"] and event["dataShareUri"].startswith(mosip.url)
        encrypted = httpx.get(event["dataShareUri"], cookies={"Authorization": jwt}).text
        assert decrypt(encrypted)["credentialSubject"]["VID"]
