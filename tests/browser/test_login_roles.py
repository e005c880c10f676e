"""In Chromium: each role logs in and sees its home, logs out, and meets the 403 page."""

import re

import pytest
from playwright.sync_api import expect

from portal.auth.models import ROLES
from portal.auth.views import ROLE_HOMES


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_sees_its_home_and_logs_out(live_portal, page, role):
    username, _ = live_portal.create_user(f"demo-{role}", [role])
    live_portal.login(page, username)
    expect(page.get_by_role("heading", name=f"Hello, {username}")).to_be_visible()
    label = str(ROLE_HOMES[role][1])
    endpoint = ROLE_HOMES[role][0]
    with live_portal.app.test_request_context():
        has_page = endpoint in live_portal.app.view_functions
    if has_page:
        expect(page.get_by_role("link", name=label).first).to_be_visible()
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(live_portal.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_wrong_role_url_shows_the_403_page(live_portal, page):
    live_portal.create_user("only-officer", ["officer"])
    live_portal.login(page, "only-officer")
    response = page.goto(live_portal.url + "/admin/users")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert page.get_by_role("link", name="Users").count() == 0  # not in the navigation either


def test_a_wrong_password_shows_a_message_and_no_javascript_is_needed(browser, live_portal):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    live_portal.create_user("ana", ["officer"])
    live_portal.login(page, "ana", password="not-the-password")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    live_portal.login(page, "ana")
    expect(page.get_by_role("heading", name="Hello, ana")).to_be_visible()
    context.close()


def test_the_portal_speaks_french(browser, live_portal):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(live_portal.url + "/login")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    context.close()
