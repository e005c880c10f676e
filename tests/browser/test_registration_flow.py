"""In Chromium: the officer registers an insuree through the sandbox eSignet (OTP 111111), corrects one pre-filled
field, confirms, sees the CHF ID and the correction in the audit trail; and a cancel at eSignet."""

import re

import pytest
from playwright.sync_api import expect

from tests.integration.registration_support import esignet_peer, openimis_peer, portal_key_file


@pytest.fixture
def world(make_live_portal, tmp_path):
    """Live sandbox eSignet and openIMIS, and a live portal registered at eSignet by its jwks_uri."""
    key_file = portal_key_file(tmp_path)
    with esignet_peer(key_file) as esignet, openimis_peer() as openimis:
        portal = make_live_portal({"PORTAL_ESIGNET_ISSUER": esignet.url, "PORTAL_ESIGNET_PRIVATE_KEY": str(key_file),
                                   "PORTAL_OPENIMIS_URL": openimis.url})
        # The portal's port is known only now: register its callback and its JWKS URL (no inline key) at eSignet.
        client = esignet.app.extensions["esignet_state"].clients["interop-portal"]
        client.update(publicKey=None, jwksUri=f"{portal.url}/.well-known/jwks.json",
                      redirectUris=[f"{portal.url}/registration/callback"])
        portal.create_user("ana", ["officer"])
        yield portal, esignet, openimis


def start_verification(page, portal):
    page.goto(f"{portal.url}/registration/new")
    expect(page.get_by_role("heading", name="New registration")).to_be_visible()
    page.get_by_label("Authentication method").select_option("mosip:idp:acr:generated-code")
    page.get_by_role("button", name="Verify identity with eSignet").click()
    page.wait_for_url(re.compile(r".*/login\?transactionId=.*"))


def test_register_an_insuree_through_esignet(world, page):
    portal, _esignet, _openimis = world
    portal.login(page, "ana")
    start_verification(page, portal)

    # eSignet's pages
    page.get_by_label("UIN/VID").fill("8267411571")
    page.get_by_role("button", name="Get OTP").click()
    expect(page.locator("#otp_sent")).to_contain_text("+**********34")
    page.get_by_label("Enter the 6-digit OTP").fill("111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Essential claims")).to_be_visible()
    page.get_by_label("Select all").check()
    page.get_by_role("button", name="Allow").click()

    # back in the portal: pre-filled and marked
    page.wait_for_url(re.compile(r".*/registration/\d+/edit"))
    expect(page.get_by_text("Identity verified by MOSIP.")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("Mansour")
    expect(page.locator("#last_name-source")).to_contain_text("Verified by MOSIP")
    expect(page.locator("#dob-source")).to_contain_text("birthdate")
    expect(page.get_by_alt_text("Photo of the insuree")).to_be_visible()
    assert page.locator("p.verified[data-claim]").count() >= 8

    # one correction: the field says at once that it is no longer as verified
    page.get_by_label("Last name").fill("Mansour-Alaoui")
    page.get_by_label("Last name").press("Tab")
    expect(page.locator("#last_name-source")).to_contain_text("No longer as verified")

    page.get_by_label("Village").select_option(label="Tahida / Kisuku / Mbezi / Kilima")
    page.get_by_role("button", name="Confirm and create in openIMIS").click()

    # progress, then the CHF ID (htmx polling while the worker creates the family in openIMIS)
    page.wait_for_url(re.compile(r".*/registration/\d+$"))
    expect(page.locator("#chf-id")).to_have_text(re.compile(r"^\d{10}$"), timeout=20_000)
    page.get_by_role("link", name="See the audit trail of this registration").click()
    audit = page.locator("#audit")
    expect(audit.get_by_role("cell", name="registration.corrected")).to_be_visible()
    expect(audit.get_by_text("field: last_name")).to_be_visible()
    corrections = page.locator("section", has=page.get_by_role("heading", name="Corrections of MOSIP values"))
    expect(corrections.get_by_role("cell", name="Mansour-Alaoui")).to_be_visible()


def test_cancel_at_esignet_comes_back_with_manual_entry(world, page):
    portal, _esignet, _openimis = world
    portal.login(page, "ana")
    start_verification(page, portal)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Verification not completed")).to_be_visible()
    expect(page.get_by_text("The verification was cancelled at eSignet.")).to_be_visible()
    page.get_by_role("button", name="Continue with manual entry").click()
    page.wait_for_url(re.compile(r".*/registration/\d+/edit"))
    expect(page.get_by_text("Manual entry: this registration will say it was not verified by MOSIP.")).to_be_visible()


def test_manual_entry_works_without_javascript(world, browser):
    portal, _esignet, _openimis = world
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    portal.login(page, "ana")
    page.goto(f"{portal.url}/registration/new")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Other names").fill("Chidi")
    page.get_by_role("button", name="Continue without eSignet").click()
    expect(page.get_by_text("this registration will say “not verified”")).to_be_visible()
    page.get_by_label("Birth date").fill("1990-05-17")
    page.get_by_label("Gender").select_option("M")
    page.get_by_label("Village").select_option(label="Tahida / Kisuku / Mbezi / Kilima")
    page.get_by_role("button", name="Confirm and create in openIMIS").click()
    page.wait_for_url(re.compile(r".*/registration/\d+$"))
    for _ in range(40):  # no htmx polling without JavaScript: reload like a person would
        if page.locator("#chf-id").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("#chf-id")).to_have_text(re.compile(r"^\d{10}$"))
    expect(page.get_by_text("not verified").first).to_be_visible()
    context.close()
