"""When eSignet is down or the person cancels, the portal gets a transient error or an error callback."""

import pytest

from portal.clients import esignet
from portal.clients.errors import TransientPeerError
from portal_sandbox.esignet import create_app, robot
from tests.fakes.esignet import rsa
from tests.peers import free_port, live_peer

CALLBACK = "http://portal.test/registration/callback"


@pytest.fixture(scope="module")
def portal_key():
    return rsa("portal-unavailable")


@pytest.fixture()
def peer(portal_key):
    clients = [robot.client_record(esignet.public_jwk(portal_key), "interop-portal", CALLBACK)]
    with live_peer(create_app, {"CLIENTS": clients}) as peer:
        yield peer


def test_a_down_eSignet_is_a_transient_error_at_begin():
    client = esignet.EsignetClient(f"http://127.0.0.1:{free_port()}", "interop-portal", rsa("portal-unavailable"),
                                   timeout=2)
    with pytest.raises(esignet.EsignetUnavailableError) as caught:
        client.begin_login(CALLBACK)
    assert isinstance(caught.value, TransientPeerError)


def test_a_5xx_token_endpoint_is_transient_and_the_code_still_works_after(peer, portal_key):
    client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
    request = client.begin_login(CALLBACK)
    code = robot.callback_params(robot.login(request.url, "8267411571"))["code"]
    peer.fail(503, count=1, path="/v1/esignet/oauth/v2/token")
    with pytest.raises(esignet.EsignetUnavailableError):
        client.finish_login(request, code)
    assert client.finish_login(request, code).sub


def test_a_slow_eSignet_times_out_as_transient(peer, portal_key):
    client = esignet.EsignetClient(peer.url, "interop-portal", portal_key, timeout=0.5)
    peer.slow(2, count=1, path="/.well-known/openid-configuration")
    with pytest.raises(esignet.EsignetUnavailableError):
        client.begin_login(CALLBACK)


def test_cancel_at_esignet_comes_back_as_access_denied_with_the_state(peer, portal_key):
    client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
    request = client.begin_login(CALLBACK)
    for where in ("login", "consent"):
        params = robot.callback_params(robot.login(request.url, "8267411571", cancel_at=where))
        assert params["error"] == "access_denied" and params["state"] == request.state
        request = client.begin_login(CALLBACK)
