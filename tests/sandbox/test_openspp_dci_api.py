"""Sandbox openSPP DCI API: spp_dci_api_server's token endpoint and sync search, quirks included."""

import base64
import json

import pytest

from portal_sandbox.openspp import create_app, seed

CREDENTIALS = {"client_id": "interop-portal", "client_secret": "demo-openspp-secret",
               "grant_type": "client_credentials", "db_name": "openspp"}


def envelope(criteria=None, **header):
    criteria = criteria if criteria is not None else {
        "reg_type": "SPP:RegistryType:Individual", "query_type": "predicate", "query": []}
    return {
        "header": {"message_id": "m-1", "message_ts": "2025-01-01T00:00:00Z", "action": "search",
                   "sender_id": "tests", "total_count": 1, **header},
        "message": {"transaction_id": "t-1", "search_request": [
            {"reference_id": "r-1", "timestamp": "2025-01-01T00:00:00Z", "search_criteria": criteria}]},
    }


@pytest.fixture(scope="module")
def app():
    return create_app({})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def bearer(client):
    token = client.post("/oauth2/client/token", json=CREDENTIALS).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_token_is_an_rs256_jwt_without_expires_in(client):
    response = client.post("/oauth2/client/token", json=CREDENTIALS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert set(response.json) == {"access_token", "token_type"}
    assert response.json["token_type"] == "Bearer"
    head, payload, _ = response.json["access_token"].split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    assert decode(head) == {"alg": "RS256", "typ": "JWT"}
    claims = decode(payload)
    assert claims["iss"] == "openspp:auth-service" and claims["db_name"] == "openspp"
    assert claims["exp"] - claims["iat"] == 600


@pytest.mark.parametrize("body, status, description", [
    ({**CREDENTIALS, "db_name": ""}, 400, "db_name is required."),
    ({**CREDENTIALS, "db_name": "other"}, 404, "DB not found."),
    ({**CREDENTIALS, "grant_type": ""}, 400, "client_id, client_secret, and grant_type is required."),
    ({**CREDENTIALS, "client_secret": "wrong"}, 401, "Invalid client id or secret."),
], ids=["no-db", "unknown-db", "no-grant-type", "bad-secret"])
def test_token_errors(client, body, status, description):
    response = client.post("/oauth2/client/token", json=body)
    assert response.status_code == status
    assert response.json["error_description"] == description


def test_token_wants_json_not_a_form(client):
    response = client.post("/oauth2/client/token", data=CREDENTIALS)  # the DCI spec's form encoding
    assert response.status_code == 400
    assert response.json == {"error": "Bad Request", "error_description": "data must be in JSON format."}


def test_token_grant_type_value_is_not_checked(client):
    assert client.post("/oauth2/client/token", json={**CREDENTIALS, "grant_type": "anything"}).status_code == 200


def test_search_all_returns_every_individual_with_an_id_in_one_answer(client, bearer):
    response = client.post("/registry/sync/search", json=envelope(), headers=bearer)
    assert response.status_code == 200
    body = response.json
    assert body["header"]["status"] == "succ" and body["header"]["message_id"] == "m-1"
    assert body["message"]["transaction_id"] == "t-1" and body["message"]["correlation_id"]
    item = body["message"]["search_response"][0]
    assert item["status"] == "succ" and item["reference_id"] == "r-1" and item["locale"] == "eng"
    assert "pagination" not in item
    assert item["data"]["reg_record_type"] == "person"
    assert len(item["data"]["reg_records"]) == 1000 - client.get("/_sandbox/facts").json["without_ids"]


def test_record_shape_and_unset_values(client, bearer):
    records = client.post("/registry/sync/search", json=envelope(), headers=bearer).json[
        "message"]["search_response"][0]["data"]["reg_records"]
    sita = next(r for r in records if {"name": "National ID", "identifier": "NP-1984031201"} in r["identifier"])
    assert sita == {"identifier": [{"name": "National ID", "identifier": "NP-1984031201"},
                                   {"name": "Passport", "identifier": "PA1234567"}],
                    "birthDate": "1984-03-12", "givenName": "Sita", "familyName": "Shrestha", "sex": "female",
                    "birthPlace": "Pokhara"}
    ram = next(r for r in records if {"name": "National ID", "identifier": "NP-1979000002"} in r["identifier"])
    assert ram["birthDate"] == "False" and ram["birthPlace"] is False


def test_birthdate_predicate(client, bearer):
    criteria = {"reg_type": "SPP:RegistryType:Individual", "query_type": "predicate", "query": [
        {"expression1": {"attribute_name": "birthdate", "operator": "eq", "attribute_value": "1984-03-12"}}]}
    records = client.post("/registry/sync/search", json=envelope(criteria), headers=bearer).json[
        "message"]["search_response"][0]["data"]["reg_records"]
    assert [r["givenName"] for r in records] == ["Sita"]


def test_no_match_gives_an_empty_search_response(client, bearer):
    criteria = {"reg_type": "SPP:RegistryType:Individual", "query_type": "predicate", "query": [
        {"expression1": {"attribute_name": "birthdate", "operator": "lt", "attribute_value": "1800-01-01"}}]}
    body = client.post("/registry/sync/search", json=envelope(criteria), headers=bearer).json
    assert body["message"]["search_response"] == []


@pytest.mark.parametrize("criteria", [
    {"reg_type": "SPP:RegistryType:Individual", "query_type": "idtype-value", "query": {"type": "UIN", "value": "1"}},
    {"reg_type": "ns:org:RegistryType:Social", "query_type": "predicate", "query": []},
    {"query_type": "predicate", "query": []},
], ids=["idtype-value", "other-reg-type", "no-reg-type"])
def test_invalid_items_are_silently_dropped(client, bearer, criteria):
    response = client.post("/registry/sync/search", json=envelope(criteria), headers=bearer)
    assert response.status_code == 200
    assert response.json["message"]["search_response"] == []


def test_unsupported_attribute_crashes_the_controller(client, bearer):
    criteria = {"reg_type": "SPP:RegistryType:Individual", "query_type": "predicate", "query": [
        {"expression1": {"attribute_name": "UIN", "operator": "eq", "attribute_value": "1"}}]}
    response = client.post("/registry/sync/search", json=envelope(criteria), headers=bearer)
    assert response.status_code == 500
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("body, message", [
    ({"message": {}}, "header is required."),
    ({"header": {"message_id": "m"}, "message": {}},
     "header should have these parameters: message_id, message_ts, action, sender_id, total_count"),
    ({"header": envelope()["header"]}, "message is required."),
    ({"header": envelope()["header"], "message": {"transaction_id": "t"}},
     "message should have these parameters: transaction_id, search_request"),
], ids=["no-header", "incomplete-header", "no-message", "incomplete-message"])
def test_envelope_errors(client, bearer, body, message):
    response = client.post("/registry/sync/search", json=body, headers=bearer)
    assert response.status_code == 400
    assert response.json == {"error": {"code": 400, "message": message}}


def test_body_must_be_json(client, bearer):
    response = client.post("/registry/sync/search", data="not json", headers=bearer)
    assert response.json == {"error": {"code": 400, "message": "data must be in JSON format."}}


def test_missing_bearer_crashes_the_controller(client):
    response = client.post("/registry/sync/search", json=envelope())
    assert response.status_code == 500


def test_invalid_token_is_a_401(client):
    response = client.post("/registry/sync/search", json=envelope(), headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status_code == 401
    assert response.json == {"error": {"code": 401, "message": "Invalid Access Token."}}


def test_token_expires_after_its_ttl():
    app = create_app({"TOKEN_TTL_SECONDS": 60})
    client = app.test_client()
    token = client.post("/oauth2/client/token", json=CREDENTIALS).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/registry/sync/search", json=envelope(), headers=headers).status_code == 200
    client.post("/_sandbox/clock", json={"advance_seconds": 61})
    assert client.post("/registry/sync/search", json=envelope(), headers=headers).status_code == 401


def test_pagination_and_idtype_value_extensions():
    client = create_app({"DCI_PAGINATION": True, "DCI_QUERY_TYPES": ["predicate", "idtype-value"]}).test_client()
    token = client.post("/oauth2/client/token", json=CREDENTIALS).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    criteria = {"reg_type": "SPP:RegistryType:Individual", "query_type": "predicate", "query": [],
                "pagination": {"page_size": 10, "page_number": 2}}
    item = client.post("/registry/sync/search", json=envelope(criteria), headers=headers).json[
        "message"]["search_response"][0]
    assert item["pagination"]["page_size"] == 10 and item["pagination"]["page_number"] == 2
    assert item["pagination"]["total_count"] > 900 and len(item["data"]["reg_records"]) == 10
    criteria = {"reg_type": "SPP:RegistryType:Individual", "query_type": "idtype-value",
                "query": {"type": "National ID", "value": "NP-1990011503"}}
    item = client.post("/registry/sync/search", json=envelope(criteria), headers=headers).json[
        "message"]["search_response"][0]
    assert [r["birthDate"] for r in item["data"]["reg_records"]] == ["1990-01-15"]
    assert seed.PLANTED["same_name"][0] == 16


def other_server(config):
    client = create_app(config).test_client()
    token = client.post("/oauth2/client/token", json=CREDENTIALS).json["access_token"]
    return client, {"Authorization": f"Bearer {token}"}


def test_openspp2_refuses_an_unsigned_envelope_with_an_err_acknowledgement():
    """spp_dci_server verify_dci_signature + DCIHTTPException: 401, SPDCI `Response` with ack_status ERR."""
    client, headers = other_server({"DCI_REQUIRE_SIGNATURE": True})
    for unsigned in (envelope(), {**envelope(), "signature": ""}, {**envelope(), "signature": "unsigned-stub"}):
        response = client.post("/registry/sync/search", json=unsigned, headers=headers)
        assert response.status_code == 401
        ack = response.json["message"]
        assert set(ack) == {"ack_status", "timestamp", "correlation_id", "error"} and ack["ack_status"] == "ERR"
        assert ack["error"] == {"code": "err.signature.missing", "message": "Missing signature in envelope"}
    signed = client.post("/registry/sync/search", json={**envelope(), "signature": "Signature: namespace=..."},
                         headers=headers)
    assert signed.status_code == 200  # the sandbox checks that a signature is there, not the signature itself


@pytest.mark.parametrize("body, headers, status, error", [
    ({"message": {}}, None, 400, {"code": "err.400", "message": "header is required."}),
    (envelope({"reg_type": "SPP:RegistryType:Individual", "query_type": "predicate", "query": [
        {"expression1": {"attribute_name": "UIN", "operator": "eq", "attribute_value": "1"}}]}), None, 500,
     {"code": "err.500", "message": "Internal server error processing search request"}),
    (envelope(), {}, 401,
     {"code": "err.auth.invalid_format", "message": "Invalid authorization format. Expected: Bearer <token>"}),
    (envelope(), {"Authorization": "Bearer abc.def.ghi"}, 401,
     {"code": "err.auth.invalid_token", "message": "Invalid Bearer token"}),
], ids=["plain-400", "crash", "no-bearer", "bad-bearer"])
def test_openspp2_error_style_answers_every_error_with_an_err_acknowledgement(body, headers, status, error):
    """DCIErrorResponseMiddleware (a plain error: code `err.<status>`), verify_bearer_token's DCIHTTPExceptions."""
    client, bearer = other_server({"DCI_ERROR_STYLE": "openspp2"})
    response = client.post("/registry/sync/search", json=body, headers=bearer if headers is None else headers)
    assert response.status_code == status
    assert response.json["message"]["ack_status"] == "ERR" and response.json["message"]["error"] == error


def test_openimis_answer_shape():
    """openIMIS api_dci create_response (@92e65df0) with individual_to_dci_person (@baa53f9e)."""
    client, headers = other_server({"DCI_ANSWER_SHAPE": "openimis"})
    answer = client.post("/registry/sync/search", json=envelope(), headers=headers).json
    assert answer["header"]["status"] == "success" and answer["header"]["action"] == "on-search"
    [item] = answer["message"]["search_response"]
    assert item["status"] == "succ" and "data" not in item
    persons = item["registry_data"]["data"]
    assert len(persons) == 100 and answer["header"]["total_count"] == 100
    assert set(persons[0]) <= {"@type", "id", "firstName", "lastName", "dob", "gender", "phone", "email"}
    assert {"Male", "Female"} <= {p["gender"] for p in persons if "gender" in p} <= {"Male", "Female", "Other"}
