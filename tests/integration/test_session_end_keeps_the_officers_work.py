"""An htmx request that meets an ended session or a stale CSRF token sends the page to the login page (or reloads it)
with a message, instead of a silent 400 or the login page pasted into the form (issue 13, "Never lose work");
drafts save as the officer types; "Log out" ends this session only, "Log out everywhere" ends all of them."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from portal.auth.models import UserSession
from portal.extensions import db
from portal.registration.models import Registration
from portal.timeutil import utcnow
from tests.conftest import PASSWORD


def htmx(page, **extra):
    return {"HX-Request": "true", "HX-Current-URL": f"http://localhost{page}", **extra}


def logged_in(client):
    return client.get("/").status_code == 200


def new_draft(app, client, values=None):
    response = client.post("/registration/new", data={"action": "save", "last_name": "Okafor", **(values or {})})
    assert response.status_code == 303, response.data[:300]
    return int(response.headers["Location"].rstrip("/").split("/")[-2])


def revoke_every_session(app):
    """What "Log out everywhere" on another device, a password change or disabling the account do to the rows."""
    with app.app_context():
        db.session.execute(update(UserSession).values(revoked_at=utcnow()))
        db.session.commit()


def login_target(response):
    location = response.headers["HX-Redirect"]
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query)


def test_an_htmx_post_on_a_revoked_session_goes_to_the_login_page_and_back(app, client, login_as):
    login_as(client, "officer", username="ana")
    draft = new_draft(app, client)
    revoke_every_session(app)
    edit_page = f"/registration/{draft}/edit"
    response = client.post(edit_page, data={"action": "confirm", "last_name": "Okafor"},
                           headers=htmx(edit_page, **{"X-Portal-Draft": "kept"}))
    assert response.status_code == 401
    assert b"<form" not in response.data and b"Log in" not in response.data  # no login page inside the form
    path, query = login_target(response)
    assert path == "/login" and query["next"] == [edit_page]
    login_page = client.get(response.headers["HX-Redirect"]).data.decode()
    assert "Your session ended. Your draft was saved" in login_page
    answer = client.post(response.headers["HX-Redirect"], data={"username": "ana", "password": PASSWORD})
    assert answer.status_code == 303 and answer.headers["Location"] == edit_page


def test_an_htmx_post_on_an_idle_session_goes_to_the_login_page(app, client, login_as):
    login_as(client, "officer", username="ana")
    draft = new_draft(app, client)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    edit_page = f"/registration/{draft}/edit"
    response = client.post(edit_page, data={"action": "save", "last_name": "Okafor"}, headers=htmx(edit_page))
    assert response.status_code == 401 and b"<header" not in response.data
    assert login_target(response) == ("/login", {"next": [edit_page]})
    assert "Your session ended" in client.get("/login").data.decode()


def test_a_polling_htmx_get_on_an_ended_session_goes_to_the_login_page_too(app, client, login_as):
    login_as(client, "officer", username="ana")
    draft = new_draft(app, client)
    revoke_every_session(app)
    response = client.get(f"/registration/{draft}/progress", headers=htmx(f"/registration/{draft}"))
    assert response.status_code == 401
    assert login_target(response) == ("/login", {"next": [f"/registration/{draft}"]})


def test_a_current_url_of_another_site_is_not_followed(app, client, login_as):
    login_as(client, "officer", username="ana")
    revoke_every_session(app)
    response = client.post("/registration/new", data={"action": "save"},
                           headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/registration/new"})
    assert login_target(response) == ("/login", {"next": ["/registration/new"]})


def test_without_htmx_an_ended_session_still_redirects_to_the_login_page(app, client, login_as):
    login_as(client, "officer", username="ana")
    draft = new_draft(app, client)
    revoke_every_session(app)
    response = client.post(f"/registration/{draft}/edit", data={"action": "save"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "HX-Redirect" not in response.headers


@pytest.fixture
def csrf_app(make_app):
    return make_app({"WTF_CSRF_ENABLED": True})


def csrf_login(client, username="ana"):
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 303
    page = client.get("/registration/new").data.decode()
    return page.split('"X-CSRFToken": "')[1].split('"')[0]


def test_logout_in_another_tab_clears_the_cookie_and_the_htmx_post_goes_to_login(csrf_app, make_user):
    make_user("ana", ["officer"])
    client = csrf_app.test_client()
    token = csrf_login(client)
    client.post("/logout", data={"csrf_token": token})  # the other tab of the same browser
    response = client.post("/registration/new", data={"action": "save", "last_name": "Okafor"},
                           headers=htmx("/registration/new", **{"X-CSRFToken": token}))
    assert response.status_code == 401
    assert login_target(response) == ("/login", {"next": ["/registration/new"]})
    assert "Your session ended" in client.get("/login").data.decode()


def test_a_stale_csrf_token_on_a_live_session_reloads_the_page(csrf_app, make_user):
    """Logged out and in again in another tab: this page's token is stale, but the officer is logged in, so the
    page is reloaded (a fresh token; the form's script puts back what was typed) rather than sent to log in."""
    make_user("ana", ["officer"])
    client = csrf_app.test_client()
    stale = csrf_login(client)
    client.post("/logout", data={"csrf_token": stale})
    csrf_login(client)
    response = client.post("/registration/new", data={"action": "save", "last_name": "Okafor"},
                           headers=htmx("/registration/new", **{"X-CSRFToken": stale}))
    assert response.status_code == 409
    assert response.headers["HX-Redirect"] == "/registration/new"
    assert "This page was out of date" in client.get("/registration/new").data.decode()


def test_a_stale_csrf_token_without_htmx_keeps_its_error_page(csrf_app, make_user):
    make_user("ana", ["officer"])
    client = csrf_app.test_client()
    csrf_login(client)
    response = client.post("/registration/new", data={"action": "save", "csrf_token": "stale"})
    assert response.status_code == 400 and b"This form has expired" in response.data
    assert "HX-Redirect" not in response.headers


# ---- autosave ------------------------------------------------------------------------------------------------------
def test_autosave_of_a_new_form_creates_one_draft_and_later_saves_into_it(app, client, login_as):
    login_as(client, "officer", username="ana")
    response = client.post("/registration/new/autosave", data={"last_name": "Okafor", "other_names": "Chi"},
                           headers=htmx("/registration/new"))
    assert response.status_code == 200
    edit_url = response.get_json()["edit_url"]
    draft = int(edit_url.split("/")[-2])
    again = client.post(f"/registration/{draft}/autosave", data={"last_name": "Okafor", "other_names": "Chidi",
                                                                 "email": "not-an-email"},
                        headers=htmx(edit_url))
    assert again.status_code == 200 and again.get_json()["invalid"] == ["email"]
    with app.app_context():
        drafts = db.session.execute(select(Registration)).scalars().all()
        assert len(drafts) == 1
        assert drafts[0].values["other_names"] == "Chidi" and not drafts[0].values.get("email")


def test_autosave_of_an_empty_new_form_creates_nothing(app, client, login_as):
    login_as(client, "officer", username="ana")
    response = client.post("/registration/new/autosave", data={"family_mode": "new"},
                           headers=htmx("/registration/new"))
    assert response.status_code == 200 and response.get_json()["edit_url"] is None
    with app.app_context():
        assert db.session.execute(select(Registration)).first() is None


def test_autosave_on_an_ended_session_goes_to_the_login_page(app, client, login_as):
    login_as(client, "officer", username="ana")
    draft = new_draft(app, client)
    revoke_every_session(app)
    response = client.post(f"/registration/{draft}/autosave", data={"last_name": "Okafor-Eze"},
                           headers=htmx(f"/registration/{draft}/edit"))
    assert response.status_code == 401
    with app.app_context():
        assert db.session.get(Registration, draft).values["last_name"] == "Okafor"


def test_the_registration_form_is_marked_for_the_draft_script(app, client, login_as):
    login_as(client, "officer", username="ana")
    draft = new_draft(app, client)
    page = client.get(f"/registration/{draft}/edit").data.decode()
    assert f'data-autosave-url="/registration/{draft}/autosave"' in page
    assert "/static/js/draft.js" in page


# ---- staying logged in ---------------------------------------------------------------------------------------------
def test_pages_say_how_long_the_session_has_left_and_stay_logged_in_refreshes_it(make_app, make_user):
    app = make_app({"PORTAL_SESSION_IDLE": timedelta(minutes=10)})
    make_user("ana", ["officer"])
    client = app.test_client()
    client.post("/login", data={"username": "ana", "password": PASSWORD})
    page = client.get("/registration/new").data.decode()
    assert 'data-idle-seconds="600"' in page and 'data-warn-seconds="120"' in page
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=9)))
        db.session.commit()
    status = client.get("/session")
    assert status.status_code == 200 and 50 <= status.get_json()["expires_in"] <= 60  # asking does not extend it
    assert client.post("/session/refresh").status_code == 204
    assert client.get("/session").get_json()["expires_in"] >= 590


def test_the_session_status_of_an_ended_session_says_so(app, client, login_as):
    login_as(client, "officer", username="ana")
    revoke_every_session(app)
    response = client.get("/session", headers=htmx("/registration/new"))
    assert response.status_code == 401


# ---- logging out ---------------------------------------------------------------------------------------------------
def two_browsers(app, make_user):
    make_user("ana", ["officer"])
    phone, desktop = app.test_client(), app.test_client()
    for browser in (phone, desktop):
        browser.post("/login", data={"username": "ana", "password": PASSWORD})
    assert logged_in(phone) and logged_in(desktop)
    return phone, desktop


def test_log_out_ends_this_session_only(app, make_user):
    phone, desktop = two_browsers(app, make_user)
    assert phone.post("/logout").status_code == 303
    assert not logged_in(phone)
    assert logged_in(desktop)


def test_log_out_everywhere_ends_every_session_of_the_user(app, make_user):
    phone, desktop = two_browsers(app, make_user)
    assert phone.post("/logout/everywhere").status_code == 303
    assert not logged_in(phone)
    assert not logged_in(desktop)
