"""Server-side sessions: revocation on logout, password change and disable; idle and absolute limits."""

from datetime import timedelta

from portal.auth.models import User, UserSession
from portal.extensions import db
from portal.timeutil import utcnow
from tests.conftest import PASSWORD


def logged_in(client):
    return client.get("/").status_code == 200


def test_logout_everywhere_ends_every_session_of_the_user(app, make_user):
    make_user("ana", ["officer"])
    phone, desktop = app.test_client(), app.test_client()
    for browser in (phone, desktop):
        browser.post("/login", data={"username": "ana", "password": PASSWORD})
    assert logged_in(phone) and logged_in(desktop)
    phone.post("/logout/everywhere")  # plain "Log out" ends this session only (test_session_end_keeps_...)
    assert not logged_in(phone)
    assert not logged_in(desktop)


def test_a_password_change_ends_the_other_sessions_but_keeps_this_one(app, make_user):
    make_user("ana", ["officer"])
    phone, desktop = app.test_client(), app.test_client()
    for browser in (phone, desktop):
        browser.post("/login", data={"username": "ana", "password": PASSWORD})
    response = desktop.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-brand-new-password", "confirm": "a-brand-new-password"})
    assert response.status_code == 303
    assert logged_in(desktop)
    assert not logged_in(phone)


def test_a_wrong_current_password_changes_nothing(app, client, login_as):
    login_as(client, "officer", username="ana")
    response = client.post("/account/password", data={
        "current_password": "not-it", "new_password": "a-brand-new-password", "confirm": "a-brand-new-password"})
    assert response.status_code == 400
    assert b"current password is not right" in response.data


def test_disabling_an_account_ends_its_sessions(app, make_user, login_as):
    ana = make_user("ana", ["officer"])
    ana_browser = app.test_client()
    ana_browser.post("/login", data={"username": "ana", "password": PASSWORD})
    admin = app.test_client()
    login_as(admin, "admin")
    assert admin.post(f"/admin/users/{ana.id}/active").status_code == 303
    assert not logged_in(ana_browser)
    with app.app_context():
        assert db.session.get(User, ana.id).active is False


def test_an_idle_session_expires(app, client, login_as):
    user = login_as(client, "officer")
    with app.app_context():
        UserSession.query.filter_by(user_id=user.id).update({"last_seen_at": utcnow() - timedelta(hours=2)})
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_session_past_its_absolute_lifetime_expires_even_if_active(app, client, login_as):
    user = login_as(client, "officer")
    with app.app_context():
        UserSession.query.filter_by(user_id=user.id).update({"created_at": utcnow() - timedelta(days=2)})
        db.session.commit()
    assert not logged_in(client)


def test_login_issues_a_new_session_cookie(app, client, make_user):
    make_user("ana", ["officer"])
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    client.post("/login", data={"username": "ana", "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session and "sid" in session


def test_session_cookie_flags(make_app, make_user):
    app = make_app({"SESSION_COOKIE_SECURE": True})
    make_user("ana", ["officer"])
    response = app.test_client().post("/login", data={"username": "ana", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
