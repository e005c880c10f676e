"""Sandbox MOSIP auth manager: Set-Cookie token, MOSIP's error shapes, expiry and roles."""

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import AUTH, auth_body as body


@pytest.fixture
def client():
    return create_app({"AUTO_PROCESS": False}).test_client()


def test_valid_credentials_set_the_authorization_cookie(client):
    response = client.post(AUTH, json=body())
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("Authorization=") and "HttpOnly" in cookie and "Max-Age=3600" in cookie
    assert response.json["response"] == {
        "status": "Success", "message": "Clientid and Token combination had been validated successfully"}
    assert response.json["errors"] is None
    token = cookie.split(";")[0].split("=", 1)[1]
    assert token.count(".") == 2  # a JWT, with exp the client can read


@pytest.mark.parametrize("client_id,secret", [("opencrvs-partner", "wrong"), ("nobody", "x"), (None, None)],
                         ids=["wrong-secret", "unknown-client", "missing"])
def test_refused_credentials_answer_500_with_keycloaks_401_inside(client, client_id, secret):
    response = client.post(AUTH, json=body(client_id, secret))
    assert response.status_code == 500
    assert "Set-Cookie" not in response.headers
    error = response.json["errors"][0]
    assert error["errorCode"] == "500" and error["message"].startswith("401 Unauthorized")
    assert response.json["response"] is None


def test_calls_without_a_token_get_ker_ath_401(client):
    response = client.get("/v1/ridgenerator/generate/rid/10001/10004")
    assert response.status_code == 401
    assert response.json["errors"] == [{"errorCode": "KER-ATH-401", "message": "Authentication Failed"}]


def test_an_expired_token_is_refused_until_renewed(client):
    client.post(AUTH, json=body())
    assert client.get("/v1/ridgenerator/generate/rid/10001/10004").status_code == 200
    client.post("/_sandbox/tokens/expire")
    assert client.get("/v1/ridgenerator/generate/rid/10001/10004").status_code == 401
    client.post(AUTH, json=body())
    assert client.get("/v1/ridgenerator/generate/rid/10001/10004").status_code == 200


def test_token_lifetime_is_configurable():
    client = create_app({"TOKEN_TTL": 0}).test_client()
    client.post(AUTH, json=body())
    assert client.get("/v1/ridgenerator/generate/rid/10001/10004").status_code == 401


def test_a_client_without_the_role_gets_403(client):
    client.post(AUTH, json=body("mosip-readonly-client", "readonly-secret"))
    response = client.put("/commons/v1/packetmanager/createPacket", json={"request": {}})
    assert response.status_code == 403
    assert response.json["errors"][0]["errorCode"] == "KER-ATH-403"


def test_validate_token_reports_user_and_roles(client):
    client.post(AUTH, json=body())
    response = client.get("/v1/authmanager/authorize/admin/validateToken")
    assert response.json["response"]["userId"] == "opencrvs-partner"
    assert "SUBSCRIBE_CREDENTIAL_ISSUED_INDIVIDUAL" in response.json["response"]["roles"].split(",")
