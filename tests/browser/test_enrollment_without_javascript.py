"""In Chromium with JavaScript off: the search, the ticks, the review and the batch page are plain forms."""

import time

import pytest
from playwright.sync_api import expect

from tests.integration.enrollment_support import live_peers, portal_config


@pytest.fixture
def portal(make_live_portal):
    with live_peers() as (imis, spp):
        yield make_live_portal(portal_config(imis, spp))


def test_enrollment_works_without_javascript(portal, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    portal.create_user("nojs", ["social"])
    portal.login(page, "nojs")
    page.goto(f"{portal.url}/enrollment/")
    page.get_by_label("Search", exact=True).fill("Shrestha")
    page.get_by_label("Rows per page").select_option("10")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#results")).to_contain_text("individuals found")
    ticked = 0
    rows = page.locator("#results tbody tr")
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td")
        if "missing" in cells.nth(3).inner_text() or cells.nth(2).inner_text().strip() == "—":
            continue
        rows.nth(index).locator("input[type=checkbox]").check()
        ticked += 1
        if ticked == 2:
            break
    page.get_by_role("button", name="Save the ticks on this page").click()
    expect(page.locator("#selection-count")).to_contain_text("2 people selected")
    assert "q=Shrestha" in page.url
    page.get_by_role("link", name="Review the selection and enroll").click()
    page.get_by_label("Insurance product").select_option(label="Social Protection Cover (SPC0001)")
    page.get_by_role("button", name="Enroll 2 people").click()
    expect(page.locator("#progress")).to_be_visible()
    for _ in range(30):  # no polling without JavaScript: the officer reloads
        if "2 of 2 finished" in page.locator("#progress").inner_text():
            break
        time.sleep(0.5)
        page.reload()
    expect(page.locator("#progress")).to_contain_text("Enrolled: 2")
    context.close()
