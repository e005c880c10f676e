"""The sandbox eSignet's encrypted userinfo, in the two shapes real ID systems send: MOSIP IDA's (through keymanager,
DEF-compressed) and the mock identity system's (uncompressed)."""

import base64
import hashlib
import json
import zlib

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jws
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


def jwe_client(rp_key, enc_key):
    return robot.client_record(rp_key.as_dict(private=False), "jwe-rp", RP,
                               encPublicKey=enc_key.as_dict(private=False),
                               additionalConfig={"require_pkce": True, "userinfo_response_type": "JWE"})


def unb64(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def open_by_hand(token, enc_key):
    """(protected header, content bytes as encrypted): RSA-OAEP-256 + A256GCM undone with cryptography alone."""
    protected, wrapped, iv, ciphertext, tag = token.split(".")
    cek = enc_key.private_key.decrypt(unb64(wrapped), padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                                   algorithm=hashes.SHA256(), label=None))
    content = AESGCM(cek).decrypt(unb64(iv), unb64(ciphertext) + unb64(tag), protected.encode("ascii"))
    return json.loads(unb64(protected)), content, unb64(iv)


def verified(peer, token):
    jwks = KeySet.import_key_set(httpx.get(f"{peer.url}/.well-known/jwks.json").json())
    return json.loads(jws.deserialize_compact(token, jwks, algorithms=["PS256", "RS256"]).payload)


def userinfo_body(peer, rp_key):
    rp = robot.RelyingParty(peer.url, rp_key, client_id="jwe-rp")
    return rp.userinfo(rp.tokens()["access_token"]).text


def test_ida_style_userinfo_is_a_deflated_jwe_with_the_headers_keymanager_sets(rp_key, enc_key):
    with live_peer(create_app, {"CLIENTS": [jwe_client(rp_key, enc_key)], "USERINFO_JWE": "ida"}) as peer:
        header, content, iv = open_by_hand(userinfo_body(peer, rp_key), enc_key)
        certificate = peer.app.extensions["esignet_state"].partner_certificate(enc_key, "jwe-rp")
        thumbprint = base64.urlsafe_b64encode(
            hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()).rstrip(b"=").decode()
        assert list(header) == ["cty", "typ", "alg", "enc", "kid", "zip", "x5t#S256"]  # jose4j's insertion order
        assert header == {"cty": "JWT", "typ": "JWT", "alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": thumbprint,
                          "zip": "DEF", "x5t#S256": thumbprint}
        assert len(iv) == 12
        inner = zlib.decompress(content, -zlib.MAX_WBITS).decode()  # raw DEFLATE, no zlib header
        assert verified(peer, inner)["individual_id"] == "8267411571"


def test_the_ida_key_id_is_the_same_for_every_login_of_a_client(rp_key, enc_key):
    with live_peer(create_app, {"CLIENTS": [jwe_client(rp_key, enc_key)], "USERINFO_JWE": "ida"}) as peer:
        first, _, _ = open_by_hand(userinfo_body(peer, rp_key), enc_key)
        second, _, _ = open_by_hand(userinfo_body(peer, rp_key), enc_key)
        assert first["kid"] == second["kid"]


def test_mock_style_userinfo_is_an_uncompressed_jwe_with_the_client_key_id(rp_key, enc_key):
    with live_peer(create_app, {"CLIENTS": [jwe_client(rp_key, enc_key)], "USERINFO_JWE": "mock"}) as peer:
        header, content, _ = open_by_hand(userinfo_body(peer, rp_key), enc_key)
        assert header == {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT", "kid": "rp-enc"}
        assert verified(peer, content.decode())["individual_id"] == "8267411571"


@pytest.mark.parametrize("config, expected", [
    ({}, {"cty", "typ", "alg", "enc", "kid", "zip", "x5t#S256"}),
    ({"USERINFO_STYLE": "mock"}, {"alg", "enc", "cty", "kid"}),
], ids=["ida-by-default", "mock-with-mock-userinfo"])
def test_the_jwe_shape_follows_the_userinfo_style_unless_chosen(rp_key, enc_key, config, expected):
    with live_peer(create_app, {"CLIENTS": [jwe_client(rp_key, enc_key)], **config}) as peer:
        header, _, _ = open_by_hand(userinfo_body(peer, rp_key), enc_key)
        assert set(header) == expected
