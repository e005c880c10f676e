"""The sandbox eSignet's /_sandbox/misbehave switches each change exactly one thing in what it sends."""

import time

import httpx
import pytest
from joserfc.jwk import RSAKey

from portal_sandbox.esignet import create_app, robot
from tests.peers import live_peer

RP = "http://rp.test/callback"


@pytest.fixture(scope="module")
def rp_key():
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture(scope="module")
def peer(rp_key):
    with live_peer(create_app, {"CLIENTS": [robot.client_record(rp_key.as_dict(private=False), "test-rp", RP)]}) as p:
        yield p


@pytest.fixture()
def rp(peer, rp_key):
    yield robot.RelyingParty(peer.url, rp_key)
    httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "clear"})


def switch(peer, mode, **extra):
    response = httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": mode, **extra})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    "mode, check",
    [
        ("wrong_iss", lambda h, c, t: c["iss"] != t),
        ("wrong_aud", lambda h, c, t: c["aud"] != "test-rp"),
        ("wrong_nonce", lambda h, c, t: c["nonce"] != t["nonce"]),
        ("missing_iat", lambda h, c, t: "iat" not in c),
        ("missing_sub", lambda h, c, t: "sub" not in c),
        ("missing_kid", lambda h, c, t: "kid" not in h),
        ("alg_none", lambda h, c, t: h == {"alg": "none"} and t["id_token"].endswith(".")),
        ("expired", lambda h, c, t: c["exp"] < time.time()),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_id_token_switches(peer, rp, mode, check):
    switch(peer, mode)
    tokens = rp.tokens()
    header, claims = robot.decode_unverified(tokens["id_token"])
    assert check(header, claims, tokens)


def test_bad_signature_keeps_a_published_kid(peer, rp):
    kids = switch(peer, "bad_signature")["kids"]
    header, _ = robot.decode_unverified(rp.tokens()["id_token"])
    assert header["kid"] in kids  # the kid looks right, the signature is not


def test_rotated_key_publishes_a_new_kid(peer, rp):
    before = httpx.get(f"{peer.url}/.well-known/jwks.json").json()["keys"][0]["kid"]
    switch(peer, "rotated_key")
    after = httpx.get(f"{peer.url}/.well-known/jwks.json").json()["keys"][0]["kid"]
    assert before != after
    assert robot.decode_unverified(rp.tokens()["id_token"])[0]["kid"] == after


def test_userinfo_sub_mismatch(peer, rp):
    switch(peer, "userinfo_sub_mismatch")
    tokens = rp.tokens()
    _, userinfo = robot.decode_unverified(rp.userinfo(tokens["access_token"]).text)
    assert userinfo["sub"] != robot.decode_unverified(tokens["id_token"])[1]["sub"]


def test_a_count_limits_how_often_a_switch_fires(peer, rp):
    switch(peer, "wrong_nonce", count=1)
    first, second = rp.tokens(), rp.tokens()
    assert robot.decode_unverified(first["id_token"])[1]["nonce"] != first["nonce"]
    assert robot.decode_unverified(second["id_token"])[1]["nonce"] == second["nonce"]


def test_clear_switches_everything_off(peer, rp):
    switch(peer, "wrong_iss")
    assert switch(peer, "clear")["active"] == {}
    assert robot.decode_unverified(rp.tokens()["id_token"])[1]["iss"] == peer.url


def test_unknown_modes_are_refused(peer):
    assert httpx.post(f"{peer.url}/_sandbox/misbehave", json={"mode": "explode"}).status_code == 400


def test_identities_list_the_demo_people(peer):
    body = httpx.get(f"{peer.url}/_sandbox/identities").json()
    assert body["otp"] == "111111"
    assert {"individualId": "8267411571", "name": "Siddharth K Mansour"} in body["identities"]
    assert len(body["identities"]) >= 5


def test_faults_are_installed(peer, rp):
    peer.fail(503, count=1, path="/v1/esignet/oauth/v2/token")
    granted = rp.authorize()
    assert rp.token(granted["code"], granted["verifier"]).status_code == 503
    assert rp.token(granted["code"], granted["verifier"]).status_code == 200
