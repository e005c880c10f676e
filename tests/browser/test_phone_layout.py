"""In Chromium at a phone's width: the supervisor's lists become one block per packet, each value under its
column name, and nothing scrolls sideways."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.packets.models import Packet, PacketEvent

PHONE = {"width": 360, "height": 740}


def test_the_packet_lists_stack_on_a_phone(browser, make_live_portal):
    portal = make_live_portal(run_jobs=False)
    portal.create_user("sup", ["supervisor"])
    with portal.app.app_context():
        db.session.add(Packet(kind="birth", event_key="phone", topic="BIRTH_REGISTERED", source="webhook",
                              state="failed", retry_from="received", process="CRVS_NEW", mosip_source="OPENCRVS",
                              tracking_id="BPHONE1", registration_number="2025BPHONE1",
                              rid="10001100010000120261124085227", error_code="RPR-WIS-000",
                              error_message="MOSIP said no", attempts=3,
                              events=[PacketEvent(step="mosip.status", state="failed", attempt=3,
                                                  detail="MOSIP did not process the packet (status FAILED)")]))
        db.session.commit()
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    portal.login(page, "sup")
    page.goto(f"{portal.url}/packets/")

    for panel in ("#packets", "#failures"):
        table = page.locator(f"{panel} table")
        expect(table).to_be_visible()
        fits = table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
        assert fits, f"{panel} is wider than the phone"
        assert table.locator("thead").evaluate("h => h.getBoundingClientRect().width") <= 1  # read out, not shown
    rid = page.locator("#packets td", has_text="10001100010000120261124085227")
    label = rid.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"RID"'
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("#packets a", has_text="#").first.click()  # the packet's page: its timeline stacks too
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    timeline = page.locator("#timeline table")
    expect(timeline).to_contain_text("MOSIP did not process the packet")
    assert timeline.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_on_a_wide_screen_the_lists_stay_tables(browser, make_live_portal):
    portal = make_live_portal(run_jobs=False)
    portal.create_user("sup", ["supervisor"])
    with portal.app.app_context():
        db.session.add(Packet(kind="death", event_key="wide", topic="DEATH_REGISTERED", source="webhook",
                              state="received", process="CRVS_DEATH", mosip_source="OPENCRVS", tracking_id="DWIDE01"))
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    portal.login(page, "sup")
    page.goto(f"{portal.url}/packets/")
    cell = page.locator("#packets td", has_text="DWIDE01")
    expect(cell).to_be_visible()
    assert cell.evaluate("td => getComputedStyle(td).display") == "table-cell"
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") in ("none", "normal")
    context.close()
