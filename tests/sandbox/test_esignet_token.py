"""The sandbox eSignet's token endpoint: private_key_jwt only, PKCE S256, single-use 300 s codes, 1.8 errors."""

import base64
import time

import httpx
import pytest
from flask import Flask, jsonify
from joserfc import jws
from joserfc.jwk import KeySet, RSAKey

from portal_sandbox.esignet import create_app, robot
from tests.peers import live_peer

RP = "http://rp.test/callback"


@pytest.fixture(scope="module")
def rp_key():
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture(scope="module")
def peer(rp_key):
    clients = [robot.client_record(rp_key.as_dict(private=False), "test-rp", RP)]
    with live_peer(create_app, {"CLIENTS": clients}) as peer:
        yield peer


@pytest.fixture(autouse=True)
def reset(peer):
    yield
    peer.heal()
    httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "clear"})


class Flow:
    """One authorization up to the callback: code, verifier, nonce, and the sandbox's endpoints."""

    def __init__(self, peer, key, client_id="test-rp", redirect_uri=RP, individual_id="8267411571", **params):
        self.peer, self.key, self.client_id, self.redirect_uri = peer, key, client_id, redirect_uri
        self.verifier, challenge = robot.pkce_pair()
        url = robot.authorize_url(peer.url, client_id, redirect_uri, challenge=challenge, **params)
        self.nonce = robot.callback_params(url.replace("/authorize?", "/?"))["nonce"]
        self.params = robot.callback_params(robot.login(url, individual_id))
        self.code = self.params["code"]
        self.token_endpoint = f"{peer.url}/v1/esignet/oauth/v2/token"

    def assertion(self, **claims):
        return robot.client_assertion(self.key, self.client_id, self.token_endpoint, **claims)

    def token(self, assertion=None, **form):
        data = robot.token_form(self.code, self.redirect_uri, assertion or self.assertion(), self.verifier)
        data.update(form)
        return httpx.post(self.token_endpoint, data={k: v for k, v in data.items() if v is not None})


def expect_error(response, error, description=None):
    assert response.status_code == 400, response.text
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"
    body = response.json()
    assert body["error"] == error
    assert body["error_description"] == (description or error)


def test_a_valid_request_gets_both_tokens_without_caching(peer, rp_key):
    flow = Flow(peer, rp_key)
    response = flow.token()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    jwks = KeySet.import_key_set(httpx.get(f"{peer.url}/.well-known/jwks.json").json())
    header, claims = robot.decode_unverified(body["id_token"])
    assert set(header) == {"kid", "alg"} and header["alg"] == "PS256"
    jws.deserialize_compact(body["id_token"], jwks, algorithms=["PS256"])  # signed by a published key
    assert claims["iss"] == peer.url and claims["aud"] == "test-rp"
    assert claims["nonce"] == flow.nonce and claims["acr"] == "mosip:idp:acr:generated-code"
    assert {"sub", "iat", "exp", "auth_time", "at_hash"} <= set(claims)
    assert "name" not in claims  # no user claims in the id_token, ever


def test_the_code_is_single_use(peer, rp_key):
    flow = Flow(peer, rp_key)
    assert flow.token().status_code == 200
    expect_error(flow.token(), "invalid_grant")


def test_a_failed_request_leaves_the_code_usable(peer, rp_key):
    flow = Flow(peer, rp_key)
    expect_error(flow.token(code_verifier="wrong"), "invalid_grant")
    assert flow.token().status_code == 200


def test_the_code_expires_after_300_seconds(rp_key):
    clients = [robot.client_record(rp_key.as_dict(private=False), "test-rp", RP)]
    with live_peer(create_app, {"CLIENTS": clients}) as peer:
        flow = Flow(peer, rp_key)
        httpx.post(f"{peer.url}/_sandbox/clock", json={"advance": 301})
        expect_error(flow.token(), "invalid_grant")


@pytest.mark.parametrize(
    "form, error, description",
    [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type", None),
        ({"grant_type": None}, "unsupported_grant_type", None),
        ({"client_assertion_type": "urn:other"}, "invalid_client", None),
        ({"client_assertion": None}, "invalid_client", None),
        ({"redirect_uri": None}, "invalid_request", "invalid_redirect_uri"),
        ({"redirect_uri": "http://rp.test/other"}, "invalid_request", "invalid_redirect_uri"),
        ({"code": "unknown-code"}, "invalid_grant", None),
        ({"code_verifier": None}, "invalid_grant", None),
        ({"code_verifier": "a" * 50}, "invalid_grant", None),
        ({"client_id": "someone-else"}, "invalid_request", "invalid_client_id"),
    ],
    ids=["grant-type", "no-grant-type", "assertion-type", "no-assertion", "no-redirect-uri", "other-redirect-uri",
         "unknown-code", "no-verifier", "wrong-verifier", "other-client-id"],
)
def test_bad_requests_get_eSignet_1_8_errors(peer, rp_key, form, error, description):
    expect_error(Flow(peer, rp_key).token(**form), error, description)


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "http://elsewhere.test/token"},
        {"aud": None},
        {"iss": "someone"},
        {"sub": "someone"},
        {"jti": None},
        {"iat": None},
        {"exp": None},
        {"exp": -10},
        {"nbf": 10**10},
    ],
    ids=["wrong-aud", "no-aud", "wrong-iss", "wrong-sub", "no-jti", "no-iat", "no-exp", "expired", "not-yet-valid"],
)
def test_client_assertion_checks(peer, rp_key, claims):
    if claims.get("exp") == -10:
        claims = {"iat": int(time.time()) - 120, "exp": int(time.time()) - 10}
    flow = Flow(peer, rp_key)
    expect_error(flow.token(assertion=flow.assertion(**claims)), "invalid_client")


def test_assertion_expiry_has_five_seconds_leeway(peer, rp_key):
    flow = Flow(peer, rp_key)
    now = int(time.time())
    assert flow.token(assertion=flow.assertion(iat=now - 60, exp=now - 3)).status_code == 200


def test_the_issuer_is_also_an_accepted_audience(peer, rp_key):
    flow = Flow(peer, rp_key)
    assert flow.token(assertion=flow.assertion(aud=[peer.url])).status_code == 200


def test_a_jti_is_single_use(peer, rp_key):
    first, second = Flow(peer, rp_key), Flow(peer, rp_key)
    assertion = first.assertion(jti="same-jti")
    assert first.token(assertion=assertion).status_code == 200
    expect_error(second.token(assertion=second.assertion(jti="same-jti")), "invalid_client")


def test_an_assertion_signed_by_another_key_is_refused(peer, rp_key):
    flow = Flow(peer, rp_key)
    other = RSAKey.generate_key(2048, parameters={"kid": rp_key.kid})
    expect_error(flow.token(assertion=robot.client_assertion(other, "test-rp", flow.token_endpoint)),
                 "invalid_client")


def test_hs256_and_none_assertions_are_refused(peer, rp_key):
    flow = Flow(peer, rp_key)
    forged = robot.client_assertion(rp_key, "test-rp", flow.token_endpoint).split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    expect_error(flow.token(assertion=f"{none_header}.{forged[1]}."), "invalid_client")
    hs_header = base64.urlsafe_b64encode(b'{"alg":"HS256"}').rstrip(b"=").decode()
    expect_error(flow.token(assertion=f"{hs_header}.{forged[1]}.{forged[2]}"), "invalid_client")


def test_ps256_assertions_are_accepted(peer, rp_key):
    flow = Flow(peer, rp_key)
    assertion = robot.client_assertion(rp_key, "test-rp", flow.token_endpoint, alg="PS256")
    assert flow.token(assertion=assertion).status_code == 200


def test_the_token_endpoint_wants_a_form(peer, rp_key):
    flow = Flow(peer, rp_key)
    response = httpx.post(flow.token_endpoint, json=robot.token_form(flow.code, RP, flow.assertion(), flow.verifier))
    expect_error(response, "invalid_request")


def test_the_client_key_can_come_from_its_jwks_uri(rp_key):
    """The client registers a jwks_uri instead of an inline key; the sandbox fetches it over HTTP."""

    def jwks_app(config):
        app = Flask("rp-jwks")
        app.get("/.well-known/jwks.json")(lambda: jsonify(keys=[{**rp_key.as_dict(private=False), "use": "sig"}]))
        return app

    with live_peer(jwks_app) as rp:
        client = robot.client_record(None, "jwks-rp", RP, jwksUri=f"{rp.url}/.well-known/jwks.json")
        with live_peer(create_app, {"CLIENTS": [client]}) as peer:
            flow = Flow(peer, rp_key, client_id="jwks-rp")
            assert flow.token().status_code == 200
            flow = Flow(peer, rp_key, client_id="jwks-rp")
            other = RSAKey.generate_key(2048, parameters={"kid": "not-published"})
            expect_error(flow.token(assertion=robot.client_assertion(other, "jwks-rp", flow.token_endpoint)),
                         "invalid_client")
