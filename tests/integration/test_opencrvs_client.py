"""The OpenCRVS client against the sandbox OpenCRVS over real HTTP: auth, subscriptions, outcomes, errors."""

import time

import pytest

from portal.clients import opencrvs
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal_sandbox.opencrvs import create_app
from tests.fakes.opencrvs import OpenCrvsClient as OpenCrvsTestClient
from tests.peers import free_port, live_peer


@pytest.fixture
def peer():
    with live_peer(create_app) as live:
        yield live


def client_for(peer, **overrides):
    config = {"PORTAL_OPENCRVS_URL": peer.url, "PORTAL_OPENCRVS_WEBHOOK_SECRET": "demo-opencrvs-webhook-secret",
              "PORTAL_OPENCRVS_CLIENT_ID": "interop-portal",
              "PORTAL_OPENCRVS_CLIENT_SECRET": "demo-opencrvs-client-secret",
              "PORTAL_OPENCRVS_TIMEOUT": 2, **overrides}
    return opencrvs.from_config(config)


def received(peer):
    return peer.app.extensions["opencrvs"].received


def test_system_token_is_cached(peer):
    client = OpenCrvsTestClient(peer.url, "interop-portal", "demo-opencrvs-client-secret",
                                "demo-opencrvs-webhook-secret", timeout=2)

    first = client.system_token()

    assert client.system_token() == first
    assert client.verify_token(first) is True


def test_expired_token_is_renewed_on_a_401(peer):
    client = client_for(peer)
    record = peer.app.test_client().post("/_sandbox/emit", json={"kind": "birth"}).json["records"][0]
    client.system_token()
    client._token = peer.app.extensions["opencrvs"].signer.sign({"sub": "interop-portal", "exp": 1})
    client._token_expires = time.time() + 3600  # we believe it is still good; OpenCRVS says 401

    client.send_outcome(opencrvs.Outcome(kind="birth", registration_number=record["registration_number"],
                                         uin_token="257803821990055124230310596669133515"))

    assert received(peer)[0]["matched"] is True


def test_wrong_client_secret_is_permanent(peer):
    with pytest.raises(PermanentPeerError) as caught:
        client_for(peer, PORTAL_OPENCRVS_CLIENT_SECRET="wrong").system_token()

    assert caught.value.code == "credentials"


def test_unreachable_opencrvs_is_transient():
    client = opencrvs.OpenCrvsClient(f"http://127.0.0.1:{free_port()}", "c", "s", "w", timeout=1)

    with pytest.raises(TransientPeerError):
        client.system_token()


def test_5xx_is_transient_then_works(peer):
    client = client_for(peer)
    peer.fail(503, count=1, path="/authenticateSystemClient")

    with pytest.raises(TransientPeerError):
        client.system_token()
    assert client.system_token()


def test_slow_opencrvs_times_out_as_transient(peer):
    client = client_for(peer, PORTAL_OPENCRVS_TIMEOUT=0.5)
    peer.slow(2, count=1, path="/authenticateSystemClient")

    with pytest.raises(TransientPeerError, match="timed out"):
        client.system_token()


def test_v1_birth_outcome_reaches_the_country_config_mediator(peer):
    record = peer.app.test_client().post("/_sandbox/emit", json={"kind": "birth"}).json["records"][0]

    client_for(peer).send_outcome(opencrvs.Outcome(
        kind="birth", registration_number=record["registration_number"], mosip_aid="10001100010000120250101000000",
        uin_token="257803821990055124230310596669133515"))

    assert received(peer)[0]["body"] == {"BRN": record["registration_number"],
                                         "MOSIP_AID": "10001100010000120250101000000",
                                         "MOSIP_PSUT_TOKEN_ID": "257803821990055124230310596669133515"}


def test_v19_confirmation_without_the_action_ids_is_permanent(peer):
    client = client_for(peer, PORTAL_OPENCRVS_GENERATION="v1.9")

    with pytest.raises(PermanentPeerError, match="event and action ids"):
        client.send_outcome(opencrvs.Outcome(kind="birth", registration_number="x", uin_token="y"))


def test_mediator_outage_is_transient(peer):
    peer.fail(502, count=1, path="/mosip-openhim-mediator")

    with pytest.raises(TransientPeerError):
        client_for(peer).send_outcome(opencrvs.Outcome(kind="birth", registration_number="x", uin_token="y"))


def test_generation_must_be_known():
    with pytest.raises(ValueError):
        opencrvs.OpenCrvsClient("http://x", "c", "s", "w", generation="v2")
