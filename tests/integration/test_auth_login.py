"""Login, logout and the pages each outcome leads to."""

import pytest

from portal.audit import AuditEvent
from tests.conftest import PASSWORD


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="username"' in response.data


def test_login_with_the_right_password_opens_the_home_page(client, make_user):
    make_user("ana", ["officer"])
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert b"Hello, ana" in client.get("/").data


@pytest.mark.parametrize(
    ("username", "password"),
    [("ana", "wrong-password"), ("nobody", PASSWORD), ("", PASSWORD), ("ana", "")],
    ids=["wrong-password", "unknown-user", "empty-username", "empty-password"],
)
def test_bad_credentials_are_refused_and_audited(app, client, make_user, username, password):
    make_user("ana", ["officer"])
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code in (400, 401)
    assert client.get("/").status_code == 302
    if username and password:
        with app.app_context():
            assert AuditEvent.query.filter_by(action="login.failed").count() == 1


def test_wrong_password_is_never_logged(client, make_user, caplog):
    make_user("ana", ["officer"])
    client.post("/login", data={"username": "ana", "password": "hunter2-secret-value"})
    assert "hunter2-secret-value" not in caplog.text


def test_disabled_account_cannot_log_in(client, make_user):
    make_user("ana", ["officer"], active=False)
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 401


def test_login_redirects_back_to_a_local_next_only(client, make_user):
    make_user("ana", ["admin"])
    response = client.post("/login?next=//evil.example/x", data={"username": "ana", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/audit/", data={"username": "ana", "password": PASSWORD})
    assert response.headers["Location"] == "/audit/"
