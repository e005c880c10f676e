"""eSignet key changes over real HTTP: a rotated key is picked up by one JWKS re-fetch; a kid-less token is
accepted only when the JWKS leaves no doubt about the key."""

import httpx
import pytest

from portal.clients import esignet
from portal_sandbox.esignet import create_app, robot
from tests.fakes.esignet import rsa
from tests.peers import live_peer

CALLBACK = "http://portal.test/registration/callback"


@pytest.fixture(scope="module")
def portal_key():
    return rsa("portal-rotation")


def sandbox(portal_key, **config):
    clients = [robot.client_record(esignet.public_jwk(portal_key), "interop-portal", CALLBACK)]
    return live_peer(create_app, {"CLIENTS": clients, **config})


def attempt(client):
    request = client.begin_login(CALLBACK)
    params = robot.callback_params(robot.login(request.url, "3456789012"))
    return client.finish_login(request, params["code"])


def counting(peer):
    """Count the portal's JWKS fetches by wrapping the sandbox app."""
    calls = {"jwks": 0}
    app = peer.app

    @app.before_request
    def count():
        from flask import request

        if request.path == "/.well-known/jwks.json":
            calls["jwks"] += 1

    return calls


def test_a_rotated_key_is_fetched_once_and_accepted(portal_key):
    with sandbox(portal_key) as peer:
        calls = counting(peer)
        client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
        attempt(client)
        assert calls["jwks"] == 1
        httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "rotated_key"})
        assert attempt(client).sub
        assert calls["jwks"] == 2
        attempt(client)
        assert calls["jwks"] == 2  # cached again


def test_a_token_without_kid_passes_when_eSignet_publishes_one_key(portal_key):
    with sandbox(portal_key, KYC_SIGNER="esignet") as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
        httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "missing_kid"})
        assert attempt(client).claims["name"] == "Jean-Baptiste Koffi Mensah"


def test_a_token_without_kid_fails_when_eSignet_publishes_several_keys(portal_key):
    with sandbox(portal_key) as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
        httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "missing_kid"})
        with pytest.raises(esignet.MissingKeyIdError):
            attempt(client)
