"""The relying-party negative set over real HTTP: each sandbox misbehaviour ends the login with its own error.

(A state mismatch is the registration view's check: see tests of portal/registration.)
"""

import httpx
import pytest

from portal.clients import esignet
from portal_sandbox.esignet import create_app, robot
from tests.fakes.esignet import rsa
from tests.peers import live_peer

CALLBACK = "http://portal.test/registration/callback"


@pytest.fixture(scope="module")
def portal_key():
    return rsa("portal-negative")


@pytest.fixture(scope="module")
def peer(portal_key):
    config = {"CLIENTS": [robot.client_record(esignet.public_jwk(portal_key), "interop-portal", CALLBACK)]}
    with live_peer(create_app, config) as peer:
        yield peer


@pytest.fixture()
def client(peer, portal_key):
    yield esignet.EsignetClient(peer.url, "interop-portal", portal_key)
    httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "clear"})


def attempt(client):
    request = client.begin_login(CALLBACK)
    params = robot.callback_params(robot.login(request.url, "8267411571"))
    return client.finish_login(request, params["code"], iss=params.get("iss"))


CASES = [
    ("wrong_nonce", esignet.NonceMismatchError, "id_token"),
    ("wrong_iss", esignet.IssuerMismatchError, "id_token"),
    ("wrong_aud", esignet.AudienceMismatchError, "id_token"),
    ("missing_iat", esignet.MissingClaimError, "id_token"),
    ("missing_sub", esignet.MissingClaimError, "id_token"),
    ("bad_signature", esignet.BadSignatureError, "id_token"),
    ("alg_none", esignet.AlgorithmNotAllowedError, "id_token"),
    ("expired", esignet.TokenExpiredError, "id_token"),
    ("userinfo_sub_mismatch", esignet.SubjectMismatchError, "userinfo"),
    ("userinfo_bad_signature", esignet.BadSignatureError, "userinfo"),
    ("userinfo_alg_none", esignet.AlgorithmNotAllowedError, "userinfo"),
]


@pytest.mark.parametrize("mode, error, token", CASES, ids=[c[0] for c in CASES])
def test_each_misbehaviour_is_caught(peer, client, mode, error, token):
    attempt(client)  # a good login first, so the keys are cached like in a running portal
    httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": mode})
    with pytest.raises(error) as caught:
        attempt(client)
    assert caught.value.token == token
    assert caught.value.code == error.code


def test_missing_iat_and_sub_name_the_claim(peer, client):
    httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "missing_iat", "count": 1})
    with pytest.raises(esignet.MissingClaimError) as caught:
        attempt(client)
    assert caught.value.claim == "iat"
    httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "missing_sub", "count": 1})
    with pytest.raises(esignet.MissingClaimError) as caught:
        attempt(client)
    assert caught.value.claim == "sub"


def test_the_client_recovers_once_the_switch_is_off(peer, client):
    httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "wrong_nonce", "count": 1})
    with pytest.raises(esignet.NonceMismatchError):
        attempt(client)
    assert attempt(client).sub
