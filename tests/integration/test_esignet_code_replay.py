"""A code is good once and for 300 s: the portal turns a replayed or stale code into CodeRejectedError."""

import httpx
import pytest

from portal.clients import esignet
from portal_sandbox.esignet import create_app, robot
from tests.fakes.esignet import rsa
from tests.peers import live_peer

CALLBACK = "http://portal.test/registration/callback"


@pytest.fixture()
def world():
    key = rsa("portal-replay")
    clients = [robot.client_record(esignet.public_jwk(key), "interop-portal", CALLBACK)]
    with live_peer(create_app, {"CLIENTS": clients}) as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", key)
        request = client.begin_login(CALLBACK)
        params = robot.callback_params(robot.login(request.url, "8267411571"))
        yield peer, client, request, params["code"]


def test_a_replayed_code_is_rejected(world):
    _, client, request, code = world
    assert client.finish_login(request, code).sub
    with pytest.raises(esignet.CodeRejectedError) as caught:
        client.finish_login(request, code)
    assert caught.value.status == 400 and caught.value.detail == "invalid_grant"


def test_a_stale_code_is_rejected(world):
    peer, client, request, code = world
    httpx.post(f"{peer.url}/_sandbox/clock", json={"advance": 301})
    with pytest.raises(esignet.CodeRejectedError):
        client.finish_login(request, code)


def test_a_code_with_the_wrong_verifier_is_rejected(world):
    _, client, request, code = world
    forged = esignet.LoginRequest.from_dict({**request.to_dict(), "code_verifier": "x" * 64})
    with pytest.raises(esignet.CodeRejectedError):
        client.finish_login(forged, code)
    assert client.finish_login(request, code).sub  # the failed try did not burn the code


def test_a_code_for_another_redirect_uri_is_refused(world):
    _, client, request, code = world
    moved = esignet.LoginRequest.from_dict({**request.to_dict(), "redirect_uri": "http://portal.test/elsewhere"})
    with pytest.raises(esignet.TokenRequestError) as caught:
        client.finish_login(moved, code)
    assert caught.value.detail == "invalid_redirect_uri"
