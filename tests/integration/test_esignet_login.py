"""portal.clients.esignet against the sandbox eSignet over real HTTP: a whole verified login, several set-ups."""

import httpx
import pytest

from portal.clients import esignet
from portal_sandbox.esignet import create_app, robot
from tests.fakes.esignet import rsa
from tests.peers import live_peer

CALLBACK = "http://portal.test/registration/callback"


@pytest.fixture(scope="module")
def portal_key():
    return rsa("portal-integration")


@pytest.fixture(scope="module")
def portal_jwks(portal_key):
    """The portal's /.well-known/jwks.json, live, so the sandbox fetches the client key over HTTP."""
    published = {"keys": [esignet.public_jwk(portal_key)]}
    with live_peer(robot.jwks_app_factory(lambda: published)) as rp:
        rp.published = published
        yield rp


def sandbox_client(jwks_url, **overrides):
    return robot.client_record(None, "interop-portal", CALLBACK, jwksUri=jwks_url, **overrides)


def login(client, individual_id="8267411571", accept="all", **begin):
    request = client.begin_login(CALLBACK, **begin)
    params = robot.callback_params(robot.login(request.url, individual_id, accept=accept))
    assert params["state"] == request.state
    return client.finish_login(request, params["code"], iss=params.get("iss"))


def test_a_verified_login_with_the_key_fetched_from_the_portal_jwks(portal_key, portal_jwks):
    config = {"CLIENTS": [sandbox_client(f"{portal_jwks.url}/.well-known/jwks.json")]}
    with live_peer(create_app, config) as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
        identity = login(client)
    assert identity.acr == "mosip:idp:acr:generated-code" and identity.amr == ("OTP",)
    assert identity.claims["name"] == "Siddharth K Mansour"
    assert identity.claims["birthdate"] == "1987/11/25"
    assert identity.claims["individual_id"] == "8267411571"
    assert identity.claims["picture"].startswith("data:image/jpeg;base64,")
    assert "sub" not in identity.claims and identity.sub


def test_a_verified_login_with_an_inline_key_and_only_essential_claims(portal_key):
    config = {"CLIENTS": [robot.client_record(esignet.public_jwk(portal_key), "interop-portal", CALLBACK)]}
    with live_peer(create_app, config) as peer:
        identity = login(esignet.EsignetClient(peer.url, "interop-portal", portal_key), accept="essential")
    assert identity.claim_names == ["birthdate", "gender", "individual_id", "name"]


def test_the_same_person_has_the_same_sub_each_time(portal_key):
    config = {"CLIENTS": [robot.client_record(esignet.public_jwk(portal_key), "interop-portal", CALLBACK)]}
    with live_peer(create_app, config) as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
        assert login(client).sub == login(client).sub != login(client, "2345678901").sub


def test_encrypted_userinfo_is_decrypted_with_the_portal_enc_key(portal_key):
    enc = rsa("portal-enc")
    client_holder = {}
    with live_peer(robot.jwks_app_factory(lambda: client_holder["client"].public_jwks())) as rp:
        sandbox = sandbox_client(f"{rp.url}/.well-known/jwks.json",
                                 additionalConfig={"require_pkce": True, "userinfo_response_type": "JWE"})
        with live_peer(create_app, {"CLIENTS": [sandbox]}) as peer:
            client = esignet.EsignetClient(peer.url, "interop-portal", portal_key, enc_key=enc)
            client_holder["client"] = client
            identity = login(client, "2345678901")
    assert identity.claims["name"] == "Amina Diallo"


def test_a_1_7_issuer_with_the_servlet_path_and_rs256(portal_key):
    config = {"CLIENTS": [robot.client_record(esignet.public_jwk(portal_key), "interop-portal", CALLBACK)],
              "ISSUER_STYLE": "1.7", "SIGNING_ALG": "RS256"}
    with live_peer(create_app, config) as peer:
        identity = login(esignet.EsignetClient(peer.url, "interop-portal", portal_key,
                                               token_issuer=f"{peer.url}/v1/esignet"))
    assert identity.claims["gender"] == "Male"


def test_several_claims_locales_come_back_suffixed(portal_key):
    config = {"CLIENTS": [robot.client_record(esignet.public_jwk(portal_key), "interop-portal", CALLBACK)]}
    with live_peer(create_app, config) as peer:
        client = esignet.EsignetClient(peer.url, "interop-portal", portal_key)
        identity = login(client, "4567890123", claims_locales=["fr", "en"], ui_locales="fr")
    assert identity.claims["gender#fr"] == "Femelle" and identity.claims["gender#en"] == "Female"
    assert "name#fr" in identity.claims


def test_a_configured_issuer_that_differs_from_discovery_is_refused(portal_key):
    with live_peer(create_app, {}) as peer:
        client = esignet.EsignetClient(f"{peer.url}/v1/esignet", "interop-portal", portal_key)
        with pytest.raises(esignet.DiscoveryIssuerMismatchError):
            client.begin_login(CALLBACK)  # 1.8 sandbox: the service-path document announces the root issuer
        assert httpx.get(f"{peer.url}/.well-known/openid-configuration").json()["issuer"] == peer.url
