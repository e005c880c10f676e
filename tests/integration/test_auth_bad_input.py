"""Bad input at the door: missing CSRF, floods, over-long and non-UTF-8 fields. Never a 500."""

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def csrf_app(make_app):
    return make_app({"WTF_CSRF_ENABLED": True})


def test_a_form_without_csrf_token_is_refused_with_a_clear_page(csrf_app, make_user):
    make_user("ana", ["officer"])
    response = csrf_app.test_client().post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 400
    assert b"This form has expired" in response.data


def test_logout_needs_the_csrf_token_too(csrf_app, make_user):
    make_user("ana", ["officer"])
    client = csrf_app.test_client()
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token}).status_code == 303
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_logins_are_rate_limited_per_account(make_app, make_user):
    app = make_app({"RATELIMIT_ENABLED": True, "PORTAL_LOGIN_LIMIT_ACCOUNT": "3 per minute"})
    make_user("ana", ["officer"])
    statuses = []
    client = app.test_client()
    for n in range(4):
        address = {"REMOTE_ADDR": f"10.0.0.{n}"}  # a new address each time: only the account limit applies
        statuses.append(client.post("/login", data={"username": "ana", "password": "wrong"},
                                    environ_base=address).status_code)
    assert statuses == [401, 401, 401, 429]
    response = client.post("/login", data={"username": "someone-else", "password": "x"},
                           environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 401


def test_logins_are_rate_limited_per_address(make_app):
    app = make_app({"RATELIMIT_ENABLED": True, "PORTAL_LOGIN_LIMIT_ADDRESS": "2 per minute"})
    client = app.test_client()
    statuses = [client.post("/login", data={"username": f"user{n}", "password": "x"}).status_code for n in range(3)]
    assert statuses == [401, 401, 429]
    assert b"Too many attempts" in client.post("/login", data={"username": "u", "password": "x"}).data


@pytest.mark.parametrize(
    "data",
    [{"username": "a" * 5000, "password": "x"}, {"username": "ana", "password": "p" * 100_000}],
    ids=["long-username", "long-password"],
)
def test_over_long_fields_get_a_form_error(client, data):
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert b"Field cannot be longer" in response.data or b"field-error" in response.data


def test_a_non_utf8_field_is_refused_not_crashed(client):
    body = b"username=%FF%FEana&password=x"
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 401)


def test_an_oversized_body_gets_413(make_app):
    app = make_app({"MAX_CONTENT_LENGTH": 1024})
    response = app.test_client().post("/login", data={"username": "a", "password": "x" * 5000})
    assert response.status_code == 413
