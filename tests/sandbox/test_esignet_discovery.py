"""The sandbox eSignet publishes discovery and keys where eSignet 1.8 (and 1.7) does."""

import pytest

from portal_sandbox.esignet import create_app

BASE = "http://esignet.test"


@pytest.fixture(scope="module")
def client():
    return create_app({"PUBLIC_URL": BASE}).test_client()


def test_discovery_follows_the_1_8_properties(client):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == BASE  # 1.8: the domain root, no /v1/esignet
    assert doc["authorization_endpoint"] == f"{BASE}/authorize"
    assert doc["token_endpoint"] == f"{BASE}/v1/esignet/oauth/v2/token"
    assert doc["userinfo_endpoint"] == f"{BASE}/v1/esignet/oidc/userinfo"
    assert doc["jwks_uri"] == f"{BASE}/.well-known/jwks.json"
    assert doc["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "mosip:idp:acr:generated-code" in doc["acr_values_supported"]
    assert doc["userinfo_encryption_alg_values_supported"] == ["RSAXXXXX"]  # the literal 1.8 placeholder
    assert doc["claims_parameter_supported"] is True


def test_discovery_is_also_served_at_the_service_path(client):
    root = client.get("/.well-known/openid-configuration").get_json()
    service = client.get("/v1/esignet/oidc/.well-known/openid-configuration").get_json()
    assert root == service


def test_discovery_announces_the_domain_in_1_7_style():
    app = create_app({"PUBLIC_URL": BASE, "ISSUER_STYLE": "1.7"})
    doc = app.test_client().get("/v1/esignet/oidc/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == BASE  # 1.7 key-values 'issuer': ${mosip.esignet.domain.url}; tokens differ (see
    # test_esignet_issuer_styles.py)
    assert doc["token_endpoint"] == f"{BASE}/v1/esignet/oauth/v2/token"
    # Like the real 1.7, nothing answers at {issuer}/.well-known/openid-configuration.
    assert app.test_client().get("/v1/esignet/.well-known/openid-configuration").status_code == 404


def test_jwks_holds_the_esignet_key_and_the_id_system_key(client):
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(keys) == 2
    assert keys[0]["kid"] != keys[1]["kid"]
    for key in keys:
        assert key["kty"] == "RSA" and key["use"] == "sig"
        assert {"n", "e", "x5c", "x5t#S256"} <= set(key)
        assert isinstance(key["exp"], int)  # epoch seconds, as in 1.8
        assert "d" not in key
    assert client.get("/v1/esignet/oauth/.well-known/jwks.json").get_json()["keys"] == keys


def test_jwks_has_one_key_when_esignet_signs_userinfo_itself():
    app = create_app({"PUBLIC_URL": BASE, "KYC_SIGNER": "esignet"})
    assert len(app.test_client().get("/.well-known/jwks.json").get_json()["keys"]) == 1


def test_oauth_authorization_server_metadata(client):
    doc = client.get("/v1/esignet/oauth/.well-known/oauth-authorization-server").get_json()
    assert doc["grant_types_supported"] == ["authorization_code"]
    assert doc["authorization_response_iss_parameter_supported"] is True


def test_the_demo_client_is_the_portal_on_port_5000():
    state = create_app({"PUBLIC_URL": BASE}).extensions["esignet_state"]
    client = state.clients["interop-portal"]
    assert client["jwksUri"] == "http://127.0.0.1:5000/.well-known/jwks.json" and not client["publicKey"]
    assert "http://127.0.0.1:5000/registration/callback" in client["redirectUris"]
    assert client["clientAuthMethods"] == ["private_key_jwt"]
    assert {"name", "birthdate", "gender", "phone_number", "email", "individual_id", "address",
            "picture"} <= set(client["userClaims"])


def test_clients_from_config_replace_the_file_entries():
    override = {"clientId": "interop-portal", "redirectUris": ["http://x.test/cb"], "status": "INACTIVE"}
    state = create_app({"PUBLIC_URL": BASE, "CLIENTS": [override]}).extensions["esignet_state"]
    assert state.clients["interop-portal"] == override
