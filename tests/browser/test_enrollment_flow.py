"""In Chromium: search openSPP by name, select three people across two pages, enroll them, watch the batch
reach 3/3, then try to enroll one of them again and see "already enrolled"."""

import re

import pytest
from playwright.sync_api import expect

from tests.integration.enrollment_support import live_peers, portal_config


@pytest.fixture
def portal(make_live_portal):
    with live_peers() as (imis, spp):
        yield make_live_portal(portal_config(imis, spp)), imis


def tick_complete_rows(page, count):
    """Tick `count` rows that have a birthdate and a sex (so openIMIS accepts them); returns their names."""
    names = []
    rows = page.locator("#results tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        cells = row.locator("td")
        if "missing" in cells.nth(3).inner_text() or cells.nth(2).inner_text().strip() == "—":
            continue
        if row.locator("input[type=checkbox]").is_checked():
            continue
        name = cells.nth(1).inner_text().strip()
        row.get_by_label(f"Select {name}").check()
        names.append(name)
        expect(page.locator("#selection-count")).to_contain_text(f"{len(names) + page.selected_before} ")
        if len(names) == count:
            break
    return names


def test_search_select_across_pages_enroll_and_refuse_a_second_enrollment(portal, page):
    live, _imis = portal
    live.create_user("maria", ["social"])
    live.login(page, "maria")
    page.goto(f"{live.url}/enrollment/")
    page.get_by_label("Rows per page").select_option("10")
    page.get_by_label("Search", exact=True).fill("Gurung")  # live search: no button press
    expect(page.locator("#results")).to_contain_text("individuals found")
    expect(page.locator("#results tbody tr")).to_have_count(10)

    page.selected_before = 0
    first = tick_complete_rows(page, 2)
    expect(page.locator("#selection-count")).to_contain_text("2 people selected")
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("#results")).to_contain_text("page 2 of")
    page.selected_before = 2
    second = tick_complete_rows(page, 1)
    expect(page.locator("#selection-count")).to_contain_text("3 people selected")
    assert "page=2" in page.url  # the URL follows the live search (back button, bookmarks)

    page.get_by_role("link", name="Review the selection and enroll").click()
    expect(page.get_by_role("heading", name="Review the selection")).to_be_visible()
    for name in [*first, *second]:
        expect(page.locator("table")).to_contain_text(name)
    page.get_by_label("Insurance product").select_option(label="Social Protection Cover (SPC0001)")
    page.get_by_role("button", name="Enroll 3 people").click()

    expect(page.get_by_role("heading", name=re.compile(r"Enrollment batch #\d+"))).to_be_visible()
    expect(page.locator("#progress")).to_contain_text("3 of 3 finished", timeout=30_000)
    expect(page.locator("#progress")).to_contain_text("Enrolled: 3")
    expect(page.get_by_text("3 insurance numbers created")).to_be_visible(timeout=10_000)

    # The same person again: the search shows them enrolled, and a new batch refuses them.
    page.goto(f"{live.url}/enrollment/?q={first[0]}&by=name")
    row = page.locator("#results tbody tr", has_text=first[0]).first
    expect(row).to_contain_text("enrolled")
    row.get_by_label(f"Select {first[0]}").check()
    expect(page.locator("#selection-count")).to_contain_text("1 person selected")
    page.get_by_role("link", name="Review the selection and enroll").click()
    expect(page.locator("table")).to_contain_text("already enrolled")
    page.get_by_role("button", name="Enroll 1 person").click()
    expect(page.locator("#progress")).to_contain_text("Already enrolled: 1")
    expect(page.locator("table")).to_contain_text("already enrolled (insurance number")
