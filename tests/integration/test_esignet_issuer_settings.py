"""The eSignet issuer settings against the sandbox over real HTTP: a wrong PORTAL_ESIGNET_ISSUER is refused with the
exact value to set; an eSignet 1.5-1.7 logs in once PORTAL_ESIGNET_TOKEN_ISSUER names its tokens' issuer."""

import pytest

from portal.clients import esignet
from portal_sandbox.esignet import create_app, robot
from tests.fakes.esignet import rsa
from tests.peers import live_peer

CALLBACK = "http://portal.test/registration/callback"


def sandbox_config(**config):
    public = esignet.public_jwk(rsa("portal-integration"))
    return {"CLIENTS": [robot.client_record(public, "interop-portal", CALLBACK)], **config}


def login(client):
    request = client.begin_login(CALLBACK)
    params = robot.callback_params(robot.login(request.url, "8267411571"))
    return client.finish_login(request, params["code"], iss=params.get("iss"))


@pytest.mark.parametrize("suffix", ["/", "/v1/esignet"], ids=["trailing-slash", "service-path"])
def test_an_issuer_set_with_a_trailing_slash_or_a_path_is_refused_with_the_value_to_set(suffix):
    with live_peer(create_app, sandbox_config()) as peer:
        client = esignet.EsignetClient(peer.url + suffix, "interop-portal", rsa("portal-integration"))
        with pytest.raises(esignet.DiscoveryIssuerMismatchError) as caught:
            client.begin_login(CALLBACK)
    assert caught.value.announced == peer.url
    assert f"Set PORTAL_ESIGNET_ISSUER to exactly '{peer.url}' as the discovery document says" in str(caught.value)


def test_the_issuer_the_message_names_then_logs_in():
    with live_peer(create_app, sandbox_config()) as peer:
        wrong = esignet.EsignetClient(peer.url + "/", "interop-portal", rsa("portal-integration"))
        with pytest.raises(esignet.DiscoveryIssuerMismatchError) as caught:
            wrong.discovery()
        fixed = esignet.EsignetClient(caught.value.announced, "interop-portal", rsa("portal-integration"))
        assert login(fixed).claims["individual_id"] == "8267411571"


def test_a_1_7_esignet_without_the_token_issuer_setting_says_what_to_set():
    with live_peer(create_app, sandbox_config(ISSUER_STYLE="1.7")) as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", rsa("portal-integration"))
        with pytest.raises(esignet.IssuerMismatchError) as caught:
            login(client)
    assert (caught.value.expected, caught.value.announced) == (peer.url, f"{peer.url}/v1/esignet")


def test_a_1_7_esignet_logs_in_with_the_token_issuer_setting():
    with live_peer(create_app, sandbox_config(ISSUER_STYLE="1.7")) as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", rsa("portal-integration"),
                                       token_issuer=f"{peer.url}/v1/esignet")
        assert login(client).claims["name"] == "Siddharth K Mansour"
