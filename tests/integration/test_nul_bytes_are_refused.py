"""A NUL byte in any text a request carries (query string or form) is a 400 that names the parameter, never a 500.

PostgreSQL refuses NUL in text ("A string literal cannot contain NUL (0x00) characters"), so before this the issue
found 500s on `/packets/?q=`, the audit filters, the selection's `id`, `username` at login and `client_id` at the
token endpoint. No text field of the portal or its peers can hold one, so it is refused everywhere, before a view
runs.
"""

import logging

import pytest

from portal.auth.models import ROLES

CASES = [
    ("get", "/packets/", {"q": "RID\x00"}, None),
    ("get", "/packets/failures", {"q": "\x00"}, None),
    ("get", "/audit/", {"actor": "ad\x00min"}, None),
    ("get", "/audit/", {"subject_id": "\x00"}, None),
    ("get", "/enrollment/", {"name": "Ana\x00"}, None),
    ("post", "/enrollment/selection", None, {"action": "remove", "id": "SPP\x00-1"}),
    ("post", "/enrollment/selection", None, {"action": "set", "id": "\x00", "ids": "\x00"}),
    ("get", "/registration/", {"status": "\x00"}, None),
    ("get", "/jobs/", {"status": "dead\x00"}, None),
    ("post", "/language", None, {"language": "fr\x00"}),
]


@pytest.mark.parametrize(("method", "path", "query", "form"), CASES)
def test_a_nul_byte_from_staff_is_a_400(client, login_as, caplog, method, path, query, form):
    login_as(client, *ROLES)
    with caplog.at_level(logging.INFO):
        response = getattr(client, method)(path, query_string=query, data=form)
    assert response.status_code == 400
    assert "\x00" not in caplog.text
    assert any(getattr(r, "reason", "").startswith("NUL byte in") for r in caplog.records)


def test_a_nul_byte_in_the_username_at_login_is_a_400(client):
    response = client.post("/login", data={"username": "officer\x00", "password": "whatever-password"})
    assert response.status_code == 400


def test_a_nul_byte_in_a_client_id_is_a_400(client):
    response = client.post("/api/oauth/token", data={"grant_type": "client_credentials",
                                                     "client_id": "openspp\x00", "client_secret": "x"})
    assert response.status_code == 400
    assert "NUL" in response.get_json()["error_description"]


def test_a_nul_byte_in_a_query_string_on_a_machine_route_is_a_400(client):
    response = client.get("/api/opencrvs/events", query_string={"mode": "subscribe", "challenge": "c",
                                                                "topic": "BIRTH\x00"})
    assert response.status_code == 400


def test_every_page_without_an_id_refuses_a_nul_parameter(app, client, login_as):
    """Whatever the route does with its parameters, none answers 500 to a NUL in them."""
    login_as(client, *ROLES)
    paths = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"})
    answers = {path: client.get(path, query_string={"q": "\x00", "page": "1\x00"}).status_code for path in paths}
    assert {path: status for path, status in answers.items() if status != 400} == {}
