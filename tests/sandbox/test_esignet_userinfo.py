"""The sandbox eSignet's userinfo: application/jwt signed by the ID system's key, consented claims only, IDA formats."""

import json

import httpx
import pytest
from joserfc import jwe, jws
from joserfc.jwk import KeySet, RSAKey

from portal_sandbox.esignet import create_app, robot
from tests.peers import live_peer

RP = "http://rp.test/callback"


@pytest.fixture(scope="module")
def rp_key():
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture(scope="module")
def enc_key():
    return RSAKey.generate_key(2048, parameters={"kid": "rp-enc", "use": "enc"})


@pytest.fixture(scope="module")
def peer(rp_key, enc_key):
    public = rp_key.as_dict(private=False)
    clients = [robot.client_record(public, "test-rp", RP),
               robot.client_record(public, "jwe-rp", RP, encPublicKey=enc_key.as_dict(private=False),
                                   additionalConfig={"require_pkce": True, "userinfo_response_type": "JWE"})]
    with live_peer(create_app, {"CLIENTS": clients}) as peer:
        yield peer


@pytest.fixture()
def rp(peer, rp_key):
    return robot.RelyingParty(peer.url, rp_key)


def verified(peer, token):
    jwks = KeySet.import_key_set(httpx.get(f"{peer.url}/.well-known/jwks.json").json())
    return json.loads(jws.deserialize_compact(token, jwks, algorithms=["PS256", "RS256"]).payload)


def test_userinfo_is_a_jws_by_the_id_system_key(peer, rp):
    tokens = rp.tokens()
    response = rp.userinfo(tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/jwt"
    id_header, id_claims = robot.decode_unverified(tokens["id_token"])
    header, _ = robot.decode_unverified(response.text)
    assert header["kid"] != id_header["kid"]  # the KYC signing key, published in the same JWKS
    claims = verified(peer, response.text)
    assert claims["sub"] == id_claims["sub"]
    assert not {"iss", "aud", "exp", "iat"} & set(claims)  # MOSIP IDA style
    assert claims["name"] == "Siddharth K Mansour" and claims["birthdate"] == "1987/11/25"
    assert claims["gender"] == "Male" and claims["individual_id"] == "8267411571"
    assert claims["picture"].startswith("data:image/jpeg;base64,")
    assert claims["address"] == {"formatted": "Slung Cmattey Kénitra 45009 Morocco"}


def test_unticked_voluntary_claims_are_absent(peer, rp):
    claims = verified(peer, rp.userinfo(rp.tokens(accept="essential")["access_token"]).text)
    assert set(claims) == {"sub", "name", "birthdate", "gender", "individual_id"}


def test_several_claims_locales_give_suffixed_keys(peer, rp):
    claims = verified(peer, rp.userinfo(rp.tokens(claims_locales="en fr")["access_token"]).text)
    assert claims["name#en"] == "Siddharth K Mansour"
    assert claims["gender#en"] == "Male" and claims["gender#fr"] == "Mâle"
    assert "formatted#fr" in claims["address#fr"]
    assert claims["birthdate"] == "1987/11/25"  # single-valued attributes stay plain


def test_one_french_locale_gives_plain_french_values(peer, rp):
    claims = verified(peer, rp.userinfo(rp.tokens("2345678901", claims_locales="fr")["access_token"]).text)
    assert claims["gender"] == "Femelle"


def test_a_missing_attribute_is_simply_absent(peer, rp):
    claims = verified(peer, rp.userinfo(rp.tokens("5678901234")["access_token"]).text)
    assert "email" not in claims and claims["gender"] == "Others"


def test_userinfo_can_be_called_again_until_the_token_expires(peer, rp):
    token = rp.tokens()["access_token"]
    assert rp.userinfo(token).status_code == 200
    assert rp.userinfo(token).status_code == 200


@pytest.mark.parametrize(
    "headers, challenge",
    [({}, 'error="missing_header"'), ({"Authorization": "Bearer nope"}, 'error="invalid_token"'),
     ({"Authorization": "nope"}, 'error="invalid_token"')],
    ids=["no-header", "unknown-token", "no-scheme"],
)
def test_userinfo_errors_are_header_only_401s(peer, headers, challenge):
    response = httpx.get(f"{peer.url}/v1/esignet/oidc/userinfo", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == challenge
    assert response.content == b""


def test_the_access_token_expires_after_an_hour(rp_key):
    clients = [robot.client_record(rp_key.as_dict(private=False), "test-rp", RP)]
    with live_peer(create_app, {"CLIENTS": clients}) as peer:
        rp = robot.RelyingParty(peer.url, rp_key)
        token = rp.tokens()["access_token"]
        httpx.post(f"{peer.url}/_sandbox/clock", json={"advance": 3601})
        assert rp.userinfo(token).headers["WWW-Authenticate"] == 'error="invalid_token"'


def test_userinfo_is_a_jwe_when_the_client_registered_an_encryption_key(peer, rp_key, enc_key):
    rp = robot.RelyingParty(peer.url, rp_key, client_id="jwe-rp")
    body = rp.userinfo(rp.tokens()["access_token"]).text
    assert body.count(".") == 4
    decrypted = jwe.decrypt_compact(body, enc_key, algorithms=["RSA-OAEP-256", "A256GCM", "DEF"])
    assert decrypted.protected["zip"] == "DEF"  # IDA's JWE by default: see test_esignet_userinfo_jwe.py
    assert verified(peer, decrypted.plaintext.decode())["individual_id"] == "8267411571"


def test_mock_style_userinfo_adds_iss_and_aud(rp_key):
    clients = [robot.client_record(rp_key.as_dict(private=False), "test-rp", RP)]
    with live_peer(create_app, {"CLIENTS": clients, "USERINFO_STYLE": "mock", "ADDRESS_STYLE": "parts"}) as peer:
        rp = robot.RelyingParty(peer.url, rp_key)
        _, claims = robot.decode_unverified(rp.userinfo(rp.tokens(claims_locales="en fr")["access_token"]).text)
        assert claims["iss"] == f"{peer.url}/v1/esignet" and claims["aud"] == "test-rp"
        assert "name#eng" in claims and "street_address#fra" in claims["address#fra"]
