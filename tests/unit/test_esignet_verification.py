"""portal.clients.esignet verifies the id_token and the userinfo before anything is used (unit, no network)."""

import json
import time

import pytest
from joserfc.jwk import RSAKey

from portal.clients import esignet
from portal.clients.errors import PermanentPeerError, TransientPeerError
from tests.fakes.esignet import ISSUER, FakeEsignet, b64, compact, encrypt_for, login_request, rsa


@pytest.fixture()
def fake():
    return FakeEsignet()


def finish(fake, **client_kwargs):
    return fake.client(**client_kwargs).finish_login(login_request(), "code-1")


def test_a_good_login_gives_the_verified_identity(fake):
    identity = finish(fake)
    assert identity.sub == "psut-123"
    assert identity.claims == {"name": "Amina Diallo", "birthdate": "1992/03/08", "gender": "Female"}
    assert identity.acr == "mosip:idp:acr:generated-code" and identity.amr == ("OTP",)
    assert isinstance(identity.auth_time, int)
    assert identity.claim_names == ["birthdate", "gender", "name"]


def test_the_token_request_is_private_key_jwt_with_pkce(fake):
    finish(fake)
    form = fake.token_form
    assert form["grant_type"] == "authorization_code" and form["redirect_uri"] == login_request().redirect_uri
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["code_verifier"] == "v" * 43 and form["client_id"] == "portal-client"


def forged_hs256(fake):
    """The classic confusion attack: HS256 with the provider's public key as the HMAC secret."""
    import hashlib
    import hmac

    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "psut-123", "aud": "portal-client", "iat": now, "exp": now + 60, "nonce": "nonce-1"}
    head = b64(json.dumps({"alg": "HS256", "kid": "op-1"}).encode())
    body = b64(json.dumps(claims).encode())
    secret = fake.key.as_pem(private=False)
    return f"{head}.{body}.{b64(hmac.new(secret, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


ID_TOKEN_CASES = [
    ("alg-none", lambda f: setattr(f, "id_token", compact({"alg": "none"}, {"sub": "x"})),
     esignet.AlgorithmNotAllowedError),
    ("hs256-with-public-key", lambda f: setattr(f, "id_token", forged_hs256(f)), esignet.AlgorithmNotAllowedError),
    ("rs384", lambda f: setattr(f, "id_header", {"kid": "op-1", "alg": "RS384"}), esignet.AlgorithmNotAllowedError),
    ("alg-not-in-discovery", lambda f: (f.discovery.update(id_token_signing_alg_values_supported=["PS256"])),
     esignet.AlgorithmNotAllowedError),
    ("not-a-jws", lambda f: setattr(f, "id_token", "abc.def"), esignet.MalformedTokenError),
    ("garbage-header", lambda f: setattr(f, "id_token", "!!.e30.sig"), esignet.MalformedTokenError),
    ("wrong-issuer", lambda f: f.id_claims.update(iss="https://other.test"), esignet.IssuerMismatchError),
    ("wrong-audience", lambda f: f.id_claims.update(aud="other-client"), esignet.AudienceMismatchError),
    ("audience-list-without-azp", lambda f: f.id_claims.update(aud=["portal-client", "other"]),
     esignet.AudienceMismatchError),
    ("expired", lambda f: f.id_claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
     esignet.TokenExpiredError),
    ("issued-in-future", lambda f: f.id_claims.update(iat=int(time.time()) + 3600), esignet.IssuedInFutureError),
    ("missing-exp", lambda f: f.id_claims.update(exp=...), esignet.MissingClaimError),
    ("missing-iat", lambda f: f.id_claims.update(iat=...), esignet.MissingClaimError),
    ("missing-sub", lambda f: f.id_claims.update(sub=...), esignet.MissingClaimError),
    ("empty-sub", lambda f: f.id_claims.update(sub=""), esignet.MissingClaimError),
    ("missing-nonce", lambda f: f.id_claims.update(nonce=...), esignet.NonceMismatchError),
    ("wrong-nonce", lambda f: f.id_claims.update(nonce="other"), esignet.NonceMismatchError),
    ("at-hash-mismatch", lambda f: f.id_claims.update(at_hash="AAAAAAAAAAAAAAAAAAAAAA"), esignet.AtHashMismatchError),
    ("unknown-kid", lambda f: setattr(f, "id_header", {"kid": "nobody", "alg": "RS256"}), esignet.UnknownKeyError),
    ("no-kid-two-keys", lambda f: setattr(f, "id_header", {"alg": "RS256"}), esignet.MissingKeyIdError),
]


@pytest.mark.parametrize("change, error", [c[1:] for c in ID_TOKEN_CASES], ids=[c[0] for c in ID_TOKEN_CASES])
def test_id_token_failures(fake, change, error):
    change(fake)
    with pytest.raises(error) as caught:
        finish(fake)
    assert caught.value.token == "id_token"
    assert isinstance(caught.value, PermanentPeerError)
    assert fake.calls["/v1/esignet/oidc/userinfo"] == 0  # nothing is fetched from an unverified login


def test_a_null_at_hash_is_accepted(fake):
    fake.id_claims.update(at_hash=None)  # the OpenAPI sample id_token carries "at_hash": null
    assert finish(fake).sub == "psut-123"


def test_an_audience_list_with_azp_is_accepted(fake):
    fake.id_claims.update(aud=["portal-client", "other"], azp="portal-client")
    assert finish(fake).sub == "psut-123"


def test_a_token_without_kid_is_accepted_when_one_key_is_published(fake):
    fake.published = [fake.key]
    fake.userinfo_header = {"alg": "PS256"}
    fake.kyc_key = fake.key
    fake.id_header = {"alg": "RS256"}
    assert finish(fake).sub == "psut-123"


def test_an_unknown_kid_refetches_the_keys_once(fake):
    client = fake.client()
    client.finish_login(login_request(), "code-1")
    assert fake.calls["/.well-known/jwks.json"] == 1
    fake.key = rsa("op-2")  # eSignet rotated its key
    fake.published = [fake.key, fake.kyc_key]
    fake.id_header = {"kid": "op-2", "alg": "RS256"}
    client.finish_login(login_request(), "code-2")
    assert fake.calls["/.well-known/jwks.json"] == 2
    fake.id_header = {"kid": "op-3", "alg": "RS256"}
    with pytest.raises(esignet.UnknownKeyError):
        client.finish_login(login_request(), "code-3")
    assert fake.calls["/.well-known/jwks.json"] == 3  # one re-fetch, not a loop


def test_a_signature_by_an_unpublished_key_with_a_published_kid_is_refused(fake):
    fake.key = RSAKey.import_key(rsa("rogue").private_key, parameters={"kid": "op-1"})
    with pytest.raises(esignet.BadSignatureError):
        finish(fake)


USERINFO_CASES = [
    ("json-not-jwt", lambda f: (setattr(f, "userinfo_body", json.dumps({"sub": "psut-123", "name": "x"})),
                                setattr(f, "userinfo_content_type", "application/json")),
     esignet.UserinfoNotSignedError),
    ("sub-mismatch", lambda f: f.userinfo_claims.update(sub="someone-else"), esignet.SubjectMismatchError),
    ("other-audience", lambda f: f.userinfo_claims.update(aud="other-client"), esignet.AudienceMismatchError),
    ("alg-none", lambda f: setattr(f, "userinfo_body", compact({"alg": "none"}, {"sub": "psut-123"})),
     esignet.AlgorithmNotAllowedError),
    ("bad-signature", lambda f: setattr(f, "kyc_key", RSAKey.import_key(rsa("rogue").private_key,
                                                                      parameters={"kid": "kyc-1"})),
     esignet.BadSignatureError),
    ("four-segments", lambda f: setattr(f, "userinfo_body", "a.b.c.d"), esignet.MalformedTokenError),
    ("jwe-without-enc-key", lambda f: setattr(f, "userinfo_body", encrypt_for(rsa("enc-1"), f.userinfo_value())),
     esignet.DecryptionError),
    ("rejected-401", lambda f: setattr(f, "userinfo_status", 401), esignet.UserinfoRejectedError),
]


@pytest.mark.parametrize("change, error", [c[1:] for c in USERINFO_CASES], ids=[c[0] for c in USERINFO_CASES])
def test_userinfo_failures(fake, change, error):
    change(fake)
    with pytest.raises(error):
        finish(fake)


def test_mock_style_userinfo_with_its_own_issuer_is_accepted(fake):
    fake.userinfo_claims.update(iss="https://esignet.test/v1/esignet", aud="portal-client")
    identity = finish(fake)
    assert "iss" not in identity.claims and "aud" not in identity.claims


def test_a_jwe_userinfo_is_decrypted_then_verified(fake):
    enc = rsa("enc-1")
    fake.userinfo_body = encrypt_for(enc, fake.userinfo_value())
    identity = finish(fake, enc_key=enc)
    assert identity.claims["name"] == "Amina Diallo"


def test_a_jwe_around_plain_json_is_refused(fake):
    enc = rsa("enc-1")
    fake.userinfo_body = encrypt_for(enc, json.dumps({"sub": "psut-123", "name": "Amina Diallo"}))
    with pytest.raises(esignet.UserinfoNotSignedError):
        finish(fake, enc_key=enc)


def test_a_jwe_for_another_key_is_refused(fake):
    fake.userinfo_body = encrypt_for(rsa("enc-2"), fake.userinfo_value())
    with pytest.raises(esignet.DecryptionError):
        finish(fake, enc_key=rsa("enc-1"))


@pytest.mark.parametrize(
    "response, error",
    [
        ((400, {"error": "invalid_grant", "error_description": "invalid_grant"}), esignet.CodeRejectedError),
        ((400, {"error": "invalid_client", "error_description": "invalid_client"}), esignet.ClientAuthenticationError),
        ((400, {"error": "invalid_request", "error_description": "invalid_redirect_uri"}), esignet.TokenRequestError),
        ((500, {"error": "unknown_error"}), esignet.EsignetUnavailableError),
        ((503, "busy"), esignet.EsignetUnavailableError),
        ((200, "<html>"), esignet.MalformedResponseError),
        ((200, {"access_token": "a"}), esignet.MalformedResponseError),
    ],
    ids=["invalid-grant", "invalid-client", "invalid-request", "500", "503", "html", "no-id-token"],
)
def test_token_endpoint_failures(fake, response, error):
    fake.token_response = response
    with pytest.raises(error) as caught:
        finish(fake)
    if response[0] == 400:
        assert caught.value.detail == response[1]["error_description"]


def test_unreachable_esignet_is_transient(fake):
    fake.raise_on.add("/v1/esignet/oauth/v2/token")
    with pytest.raises(esignet.EsignetUnavailableError) as caught:
        finish(fake)
    assert isinstance(caught.value, TransientPeerError)


def test_a_callback_iss_from_another_provider_is_refused(fake):
    with pytest.raises(esignet.CallbackIssuerMismatchError):
        fake.client().finish_login(login_request(), "code-1", iss="https://evil.test")
    assert fake.calls["/v1/esignet/oauth/v2/token"] == 0
    assert fake.client().finish_login(login_request(), "code-1", iss=ISSUER).sub == "psut-123"


def test_error_messages_carry_no_personal_data(fake):
    fake.userinfo_claims.update(sub="someone-else")
    with pytest.raises(esignet.EsignetError) as caught:
        finish(fake)
    text = str(caught.value)
    for value in ("Amina", "Diallo", "1992", "psut-123", "someone-else"):
        assert value not in text
