"""Sandbox openIMIS authentication: FHIR login, tokenAuth + CSRF, Bearer/JWT cookie, 401 and permission errors."""

import hashlib
import time
from pathlib import Path

import pytest

from portal_sandbox.openimis import create_app, tokens

INSUREES = '{ insurees(chfId: "1000000016") { edges { node { chfId } } } }'
TOKEN_AUTH = ('mutation { tokenAuth(username: "Admin", password: "admin123") '
              '{ token refreshToken refreshExpiresIn payload } }')


@pytest.fixture(scope="module")
def app():
    return create_app({"ASYNC_MUTATIONS": False})


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username="Admin", password="admin123"):
    response = client.post("/api/api_fhir_r4/login/", json={"username": username, "password": password})
    assert response.status_code == 200
    return response.json["token"]


def test_served_schema_file_is_the_real_one_byte_for_byte():
    schema = Path(__file__).parents[2] / "portal_sandbox" / "openimis" / "schema.graphqls"
    assert hashlib.sha256(schema.read_bytes()).hexdigest() == (
        "c5c21d93e327bf449c342463a0ca3d02b2caa6ce876a1c1ea117ee8ca597f1b0")


def test_fhir_login_returns_token_and_exp(client):
    response = client.post("/api/api_fhir_r4/login/", json={"username": "admin", "password": "admin123"})
    assert response.status_code == 200
    assert set(response.json) == {"token", "exp"}
    assert 86000 < response.json["exp"] - time.time() <= 86400  # JWT_EXPIRATION_DELTA: one day
    assert tokens.decode(response.json["token"], "sandbox-openimis-not-a-secret")["username"] == "Admin"


@pytest.mark.parametrize("body, status", [
    ({"username": "Admin", "password": "wrong"}, 401),
    ({"username": "nobody", "password": "admin123"}, 401),
    ({"username": "Admin"}, 400),
    ({}, 400),
])
def test_fhir_login_refusals_have_empty_bodies(client, body, status):
    response = client.post("/api/api_fhir_r4/login/", json=body)
    assert response.status_code == status
    assert response.data == b""


def test_bearer_token_reads_data(client):
    response = client.post("/api/graphql", json={"query": INSUREES},
                           headers={"Authorization": f"bearer {login(client)}"})  # prefix case-insensitive
    assert response.status_code == 200
    assert response.json["data"]["insurees"]["edges"][0]["node"]["chfId"] == "1000000016"


def test_jwt_cookie_is_accepted_like_graphql_jwt_does(client):
    client.set_cookie("JWT", login(client))
    response = client.post("/api/graphql", json={"query": INSUREES})
    assert response.json["data"]["insurees"]["edges"]


def test_anonymous_query_is_200_with_unauthorized_error(client):
    response = client.post("/api/graphql", json={"query": INSUREES})
    assert response.status_code == 200
    assert response.json["data"] == {"insurees": None}
    assert response.json["errors"][0]["message"] == "unauthorized"
    assert response.json["errors"][0]["path"] == ["insurees"]


def test_code_lists_need_no_login(client):
    response = client.post("/api/graphql", json={"query": "{ insureeGenders { code gender } }"})
    assert [g["code"] for g in response.json["data"]["insureeGenders"]] == ["M", "F", "O"]


@pytest.mark.parametrize("token, message", [
    ("not-a-jwt", "Error decoding signature"),
    (tokens.encode("Admin", "another-secret", 86400)[0], "Error decoding signature"),
    (tokens.encode("Admin", "sandbox-openimis-not-a-secret", -10)[0], "Signature has expired"),
    (tokens.encode("ghost", "sandbox-openimis-not-a-secret", 86400)[0], "Please enter valid credentials"),
])
def test_bad_token_is_401_without_data(client, token, message):
    response = client.post("/api/graphql", json={"query": INSUREES}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "data" not in response.json
    assert response.json["errors"][0]["message"] == message


def test_token_auth_requires_the_csrf_cookie_and_header(client):
    response = client.post("/api/graphql", json={"query": TOKEN_AUTH})
    assert response.status_code == 200
    assert response.json["data"] == {"tokenAuth": None}
    assert response.json["errors"][0]["message"] == "CSRF token missing or incorrect."


def test_token_auth_refuses_mismatched_csrf_values(client):
    client.set_cookie("csrftoken", "a" * 32)
    response = client.post("/api/graphql", json={"query": TOKEN_AUTH}, headers={"X-CSRFToken": "b" * 32})
    assert response.json["errors"][0]["message"] == "CSRF token missing or incorrect."


def test_token_auth_with_csrf_gives_token_and_cookies(client):
    secret = "k" * 32
    client.set_cookie("csrftoken", secret)
    response = client.post("/api/graphql", json={"query": TOKEN_AUTH}, headers={"X-CSRFToken": secret})
    assert response.status_code == 200
    result = response.json["data"]["tokenAuth"]
    assert result["payload"]["username"] == "Admin"
    assert result["refreshExpiresIn"] > time.time()
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("JWT=") for c in cookies) and any(c.startswith("JWT-refresh-token=") for c in cookies)
    again = client.post("/api/graphql", json={"query": INSUREES},
                        headers={"Authorization": f"Bearer {result['token']}"})
    assert again.json["data"]["insurees"]["edges"]


def test_token_auth_accepts_a_masked_64_char_header_token(client):
    secret = "abcdefghijklmnopqrstuvwxyzABCDEF"
    mask = "0123456789" * 3 + "ab"
    chars = tokens.CSRF_CHARS
    masked = mask + "".join(chars[(chars.index(s) + chars.index(m)) % len(chars)]
                            for s, m in zip(secret, mask, strict=True))
    client.set_cookie("csrftoken", secret)
    response = client.post("/api/graphql", json={"query": TOKEN_AUTH}, headers={"X-CSRFToken": masked})
    assert response.json["data"]["tokenAuth"]["token"]


def test_token_auth_bad_credentials_is_a_jwt_error_401(client):
    client.set_cookie("csrftoken", "c" * 32)
    response = client.post(
        "/api/graphql", headers={"X-CSRFToken": "c" * 32},
        json={"query": 'mutation { tokenAuth(username: "Admin", password: "nope") { token } }'})
    assert response.status_code == 401
    assert response.json["errors"][0]["message"] == "Please enter valid credentials"


def test_csrf_check_can_be_switched_off_like_csrf_protect_login():
    client = create_app({"CSRF_PROTECT_LOGIN": False}).test_client()
    assert client.post("/api/graphql", json={"query": TOKEN_AUTH}).json["data"]["tokenAuth"]["token"]


def test_user_without_permission_gets_unauthorized_query_and_failed_mutation(client):
    token = login(client, "Clerk", "clerk123")
    headers = {"Authorization": f"Bearer {token}"}
    products = client.post("/api/graphql", headers=headers, json={"query": "{ products { edges { node { code } } } }"})
    assert products.json["errors"][0]["message"] == "unauthorized"
    mutation = client.post("/api/graphql", headers=headers, json={"query": """mutation { createFamily(input: {
        clientMutationId: "clerk-1", headInsuree: {chfId: "1000000057", lastName: "A", otherNames: "B",
        genderId: "M", dob: "2000-01-01"}}) { clientMutationId internalId } }"""})
    assert mutation.status_code == 200 and mutation.json["data"]["createFamily"]["internalId"]
    logs = client.post("/api/graphql", headers=headers, json={
        "query": '{ mutationLogs(clientMutationId: "clerk-1") { edges { node { status error } } } }'})
    node = logs.json["data"]["mutationLogs"]["edges"][0]["node"]
    assert node == {"status": 1, "error": '[{"message": "insuree.mutation.failed_to_create_family", '
                                          '"detail": "unauthorized"}]'}


def test_anonymous_mutation_is_received_then_fails_authentication(app, client):
    response = client.post("/api/graphql", json={"query": """mutation { createFamily(input: {
        clientMutationId: "anon-1", headInsuree: {chfId: "1000000057", lastName: "A", otherNames: "B",
        genderId: "M", dob: "2000-01-01"}}) { clientMutationId internalId } }"""})
    assert response.json["data"]["createFamily"]["clientMutationId"] == "anon-1"
    (log,) = client.get("/_sandbox/mutations?client_mutation_id=anon-1").json
    assert log["status"] == 1
    assert "['mutation.authentication_required']" in log["error"]


def test_health_routes(client):
    assert client.get("/ht/?format=json").json == {"DatabaseBackend": "working"}
    assert client.get("/ht/").status_code == 200
    assert client.get("/api/graphql?query={__typename}").json == {"data": {"__typename": "Query"}}
