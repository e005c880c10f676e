"""In Chromium (issue 13, "Never lose work"): a session ended elsewhere while the officer types sends the page to the
login page with a message and back to the same draft with everything typed; the idle warning's "Stay logged in"
keeps the session; "Log out" ends this browser's session only, "Log out everywhere" ends them all."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from portal.auth.models import UserSession
from portal.extensions import db
from portal.registration.models import Registration
from portal.timeutil import utcnow
from tests.integration.registration_support import openimis_peer

DRAFT_URL = re.compile(r".*/registration/(\d+)/edit$")


@pytest.fixture
def portal(make_live_portal):
    with openimis_peer() as openimis:
        live = make_live_portal({"PORTAL_OPENIMIS_URL": openimis.url}, run_jobs=False)
        live.create_user("ana", ["officer"])
        yield live


def saved_values(portal, registration_id):
    with portal.app.app_context():
        return dict(db.session.get(Registration, registration_id).values)


def wait_for_saved(portal, registration_id, name, value, seconds=8):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if saved_values(portal, registration_id).get(name) == value:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} was not saved: {saved_values(portal, registration_id).get(name)!r}")


def test_logout_in_another_tab_then_save_draft_comes_back_to_the_same_draft_with_what_was_typed(portal, page):
    portal.login(page, "ana")
    page.goto(f"{portal.url}/registration/new")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Other names").fill("Chidi")
    page.wait_for_url(DRAFT_URL)  # typing saved a draft; the address is the draft's now
    draft = int(DRAFT_URL.match(page.url).group(1))
    wait_for_saved(portal, draft, "other_names", "Chidi")

    other_tab = page.context.new_page()  # same browser: logging out there clears the shared cookie
    other_tab.goto(f"{portal.url}/")
    other_tab.get_by_role("button", name="Log out", exact=True).click()
    expect(other_tab.get_by_text("You are logged out.")).to_be_visible()
    other_tab.close()

    page.get_by_label("Phone").fill("+255700000111")
    page.get_by_role("button", name="Save draft").click()

    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    expect(page.get_by_text("Your session ended. Your draft was saved")).to_be_visible()
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(re.compile(rf".*/registration/{draft}/edit$"))
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.get_by_label("Phone")).to_have_value("+255700000111")
    expect(page.get_by_label("Other names")).to_have_value("Chidi")
    wait_for_saved(portal, draft, "phone", "+255700000111")


def test_a_session_ended_on_another_device_then_confirm_keeps_a_new_form(portal, page, browser):
    portal.login(page, "ana")
    page.goto(f"{portal.url}/registration/new")
    expect(page.get_by_role("heading", name="New registration")).to_be_visible()

    elsewhere = browser.new_context(locale="en-GB")  # another device of the same officer
    phone = elsewhere.new_page()
    portal.login(phone, "ana")
    phone.get_by_role("button", name="Log out everywhere").click()
    expect(phone.get_by_text("You are logged out on every device.")).to_be_visible()
    elsewhere.close()

    page.get_by_label("Last name").fill("Mwangi")
    page.get_by_label("Other names").fill("Asha")
    page.get_by_role("button", name="Confirm and create in openIMIS").click()  # before any autosave

    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    expect(page.get_by_text("Your session ended. Your draft was saved")).to_be_visible()
    assert page.locator("header.top").count() == 1
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    # back on the form with what was typed, saved into a new draft whose address the page now has
    page.wait_for_url(DRAFT_URL)
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("Mwangi")
    draft = int(DRAFT_URL.match(page.url).group(1))
    wait_for_saved(portal, draft, "other_names", "Asha")
    assert saved_values(portal, draft)["last_name"] == "Mwangi"


def test_the_idle_warning_appears_and_stay_logged_in_keeps_the_session(make_live_portal, page):
    idle = timedelta(seconds=8)  # the warning comes a fifth of it before the end: at about 6.4 s
    portal = make_live_portal({"PORTAL_SESSION_IDLE": idle}, run_jobs=False)
    portal.create_user("ana", ["officer"])
    portal.login(page, "ana")
    started = time.monotonic()
    warning = page.locator("#session-warning")
    expect(warning).to_contain_text("you will be logged out at", timeout=10_000)
    assert time.monotonic() - started < idle.total_seconds()
    warning.get_by_role("button", name="Stay logged in").click()
    expect(warning).to_be_hidden()
    # past the time the session would have ended without "Stay logged in"
    page.wait_for_timeout(max(0, (idle.total_seconds() - (time.monotonic() - started)) * 1000) + 1500)
    page.goto(f"{portal.url}/registration/")
    expect(page).to_have_url(re.compile(r"/registration/$"))


def test_an_idle_session_without_stay_logged_in_ends_and_says_so(make_live_portal, page):
    portal = make_live_portal({"PORTAL_SESSION_IDLE": timedelta(seconds=5)}, run_jobs=False)
    portal.create_user("ana", ["officer"])
    portal.login(page, "ana")
    expect(page.locator("#session-warning")).to_contain_text("Your session ended.", timeout=10_000)
    page.locator("#session-warning").get_by_role("link", name="Log in again").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_log_out_ends_this_browser_only_and_log_out_everywhere_ends_all(portal, browser, page):
    desk = browser.new_context(locale="en-GB")
    other = desk.new_page()
    portal.login(page, "ana")
    portal.login(other, "ana")

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    other.goto(f"{portal.url}/registration/")
    expect(other).to_have_url(re.compile(r"/registration/$"))  # still logged in there

    portal.login(page, "ana")
    other.get_by_role("button", name="Log out everywhere").click()
    page.goto(f"{portal.url}/registration/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    desk.close()


def test_revoking_sessions_in_the_database_is_met_the_same_way(portal, page):
    """An administrator disabling the account or a password change: the rows are revoked, the cookie is intact."""
    portal.login(page, "ana")
    page.goto(f"{portal.url}/registration/new")
    page.get_by_label("Last name").fill("Banda")
    page.wait_for_url(DRAFT_URL)
    draft = int(DRAFT_URL.match(page.url).group(1))
    with portal.app.app_context():
        db.session.execute(update(UserSession).values(revoked_at=utcnow()))
        db.session.commit()
    page.get_by_label("Other names").fill("Grace")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    portal.login(page, "ana")  # the login helper goes to /login without next: open the draft as a person would
    page.goto(f"{portal.url}/registration/{draft}/edit")
    expect(page.get_by_label("Other names")).to_have_value("Grace")
    wait_for_saved(portal, draft, "other_names", "Grace")
