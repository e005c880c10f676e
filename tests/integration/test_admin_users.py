"""The admin's user pages and the `flask users create` command."""

from portal.audit import AuditEvent
from portal.auth.models import User
from portal.extensions import db
from tests.conftest import PASSWORD


def test_admin_creates_a_user_with_two_roles(app, client, login_as):
    login_as(client, "admin")
    response = client.post("/admin/users", data={
        "username": "bea", "roles": ["officer", "social"],
        "new_password": "long-enough-pw", "confirm": "long-enough-pw"})
    assert response.status_code == 303
    with app.app_context():
        user = User.query.filter_by(username="bea").one()
        assert user.roles == {"officer", "social"}
        assert AuditEvent.query.filter_by(action="user.created", subject_id=str(user.id)).count() == 1
    assert app.test_client().post("/login", data={"username": "bea", "password": "long-enough-pw"}).status_code == 303


def test_creating_a_user_without_role_or_with_a_short_password_shows_errors(client, login_as):
    login_as(client, "admin")
    response = client.post("/admin/users", data={"username": "bea", "new_password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert b"Choose at least one role" in response.data
    assert b"Use at least 10" in response.data


def test_a_duplicate_username_is_refused(client, login_as, make_user):
    make_user("bea", ["officer"])
    login_as(client, "admin")
    response = client.post("/admin/users", data={
        "username": "BEA", "roles": ["officer"], "new_password": "long-enough-pw", "confirm": "long-enough-pw"})
    assert response.status_code == 400
    assert b"already exists" in response.data


def test_admin_resets_a_password_and_the_old_one_stops_working(app, client, login_as, make_user):
    bea = make_user("bea", ["officer"])
    login_as(client, "admin")
    response = client.post(f"/admin/users/{bea.id}/password",
                           data={"new_password": "another-long-pw", "confirm": "another-long-pw"})
    assert response.status_code == 303
    other = app.test_client()
    assert other.post("/login", data={"username": "bea", "password": PASSWORD}).status_code == 401
    assert other.post("/login", data={"username": "bea", "password": "another-long-pw"}).status_code == 303


def test_cli_creates_a_user(app, runner):
    result = runner.invoke(args=["users", "create", "cli-user", "--role", "officer", "--role", "social",
                                 "--password", "cli-password-1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(User).filter_by(username="cli-user").one().roles == {"officer", "social"}


def test_cli_refuses_an_unknown_role_and_a_short_password(runner):
    assert runner.invoke(args=["users", "create", "x", "--role", "king", "--password", "long-password"]).exit_code != 0
    result = runner.invoke(args=["users", "create", "x", "--role", "officer", "--password", "short"])
    assert result.exit_code != 0 and "at least 10" in result.output


def test_audit_page_filters_by_action(client, login_as):
    login_as(client, "admin")
    client.post("/login", data={"username": "ghost", "password": "x"})
    page = client.get("/audit/?action=login.failed").data.decode()
    assert "login.failed" in page and "login.succeeded" not in page
