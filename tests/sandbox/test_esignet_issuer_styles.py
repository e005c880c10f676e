"""Which issuer the sandbox eSignet announces where: 1.8 uses one value everywhere; 1.5-1.7 announce the domain in
discovery and the callback, but put the service path in the tokens' `iss` (mosip.esignet.discovery.issuer-id)."""

import httpx
import pytest
from joserfc.jwk import RSAKey

from portal_sandbox.esignet import create_app, robot
from tests.peers import live_peer


@pytest.fixture(scope="module")
def rp_key():
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.mark.parametrize("style, token_path", [("1.8", ""), ("1.7", "/v1/esignet"), ("1.5", "/v1/esignet")],
                         ids=["1.8", "1.7", "1.5"])
def test_where_each_version_puts_its_issuer(rp_key, style, token_path):
    clients = [robot.client_record(rp_key.as_dict(private=False), "test-rp")]
    with live_peer(create_app, {"CLIENTS": clients, "ISSUER_STYLE": style}) as peer:
        rp = robot.RelyingParty(peer.url, rp_key)
        granted = rp.authorize()
        tokens = rp.token(granted["code"], granted["verifier"]).json()
        discovery = httpx.get(f"{peer.url}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == peer.url
    assert granted["iss"] == peer.url
    assert robot.decode_unverified(tokens["id_token"])[1]["iss"] == peer.url + token_path
    assert robot.decode_unverified(tokens["access_token"])[1]["iss"] == peer.url + token_path


def test_an_explicit_token_issuer_wins(rp_key):
    clients = [robot.client_record(rp_key.as_dict(private=False), "test-rp")]
    with live_peer(create_app, {"CLIENTS": clients, "TOKEN_ISSUER": "https://tokens.test"}) as peer:
        tokens = robot.RelyingParty(peer.url, rp_key).tokens()
    assert robot.decode_unverified(tokens["id_token"])[1]["iss"] == "https://tokens.test"
