"""In Chromium: each role logs in and sees its home, logs out, and meets the 403 page."""

import pytest

from portal.auth.models import ROLES
from portal.auth.views import ROLE_HOMES


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_sees_its_home_and_logs_out(live_portal, page, role):
    username, _ = live_portal.create_user(f"demo-{role}", [role])
    live_portal.login(page, username)
    assert page.get_by_role("heading", name=f"Hello, {username}").is_visible()
    label = str(ROLE_HOMES[role][1])
    endpoint = ROLE_HOMES[role][0]
    with live_portal.app.test_request_context():
        has_page = endpoint in live_portal.app.view_functions
    if has_page:
        assert page.get_by_role("link", name=label).first.is_visible()
    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("heading", name="Log in").is_visible()
    page.goto(live_portal.url + "/")
    assert "/login" in page.url


def test_a_wrong_role_url_shows_the_403_page(live_portal, page):
    live_portal.create_user("only-officer", ["officer"])
    live_portal.login(page, "only-officer")
    response = page.goto(live_portal.url + "/admin/users")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert page.get_by_role("link", name="Users").count() == 0  # not in the navigation either


def test_a_wrong_password_shows_a_message_and_no_javascript_is_needed(browser, live_portal):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    live_portal.create_user("ana", ["officer"])
    live_portal.login(page, "ana", password="not-the-password")
    assert page.get_by_text("Wrong username or password.").is_visible()
    live_portal.login(page, "ana")
    assert page.get_by_role("heading", name="Hello, ana").is_visible()
    context.close()


def test_the_portal_speaks_french(browser, live_portal):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(live_portal.url + "/login")
    assert page.get_by_role("heading", name="Connexion").is_visible()
    context.close()
