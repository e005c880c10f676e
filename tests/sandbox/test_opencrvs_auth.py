"""Sandbox OpenCRVS auth service: system-client tokens, /verifyToken, the published public key."""

import base64
import json

import pytest

from portal_sandbox.opencrvs import create_app

PORTAL = {"client_id": "interop-portal", "client_secret": "demo-opencrvs-client-secret"}


@pytest.fixture
def client():
    return create_app({"PUBLIC_URL": "http://opencrvs.test"}).test_client()


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_system_client_gets_an_rs256_token_with_its_scope(client):
    response = client.post("/authenticateSystemClient", json=PORTAL)

    assert response.status_code == 200
    assert set(response.json) == {"token"}
    claims = claims_of(response.json["token"])
    assert claims["sub"] == "interop-portal"
    assert claims["scope"] == ["nationalId"]
    assert claims["iss"] == "opencrvs:auth-service"
    assert "opencrvs:nationalId-api-user" in claims["aud"]
    assert 0 < claims["exp"] - claims["iat"] <= 600


@pytest.mark.parametrize("body", [
    {"client_id": "interop-portal", "client_secret": "wrong"},
    {"client_id": "nobody", "client_secret": "demo-opencrvs-client-secret"},
], ids=["wrong secret", "unknown client"])
def test_bad_credentials_are_a_hapi_401(client, body):
    response = client.post("/authenticateSystemClient", json=body)

    assert response.status_code == 401
    assert response.json == {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}


def test_unexpected_payload_is_a_joi_400(client):
    response = client.post("/authenticateSystemClient", json={**PORTAL, "grant_type": "x"})

    assert response.status_code == 400
    assert response.json["message"] == "Invalid request payload input"


def test_verify_token_accepts_form_and_json(client):
    token = client.post("/authenticateSystemClient", json=PORTAL).json["token"]

    assert client.post("/verifyToken", data={"token": token}).json == {"valid": True}
    assert client.post("/verifyToken", json={"token": token}).json == {"valid": True}
    assert client.post("/verifyToken", json={"token": token[:-4] + "AAAA"}).json == {"valid": False}


def test_public_key_is_published_as_pem_and_jwks(client):
    pem = client.get("/.well-known")
    jwks = client.get("/.well-known/jwks.json")

    assert pem.mimetype == "text/plain"
    assert pem.text.startswith("-----BEGIN PUBLIC KEY-----")
    key = jwks.json["keys"][0]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    token = client.post("/authenticateSystemClient", json=PORTAL).json["token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == key["kid"]


def test_faults_can_be_injected(client):
    client.post("/_sandbox/faults", json={"mode": "error", "status": 503, "count": 1})

    assert client.post("/authenticateSystemClient", json=PORTAL).status_code == 503
    assert client.post("/authenticateSystemClient", json=PORTAL).status_code == 200
