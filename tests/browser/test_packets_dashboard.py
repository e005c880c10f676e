"""In Chromium: the supervisor watches a birth from OpenCRVS reach its UIN on the dashboard without reloading,
and retries a failed packet from its button (sandbox OpenCRVS and MOSIP over real HTTP)."""

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from portal.audit import AuditEvent
from portal.extensions import db
from portal.packets.cli import subscribe_opencrvs
from portal.packets.handlers import subscribe_websub
from portal.packets.models import Packet, Subscription
from portal_sandbox.mosip import create_app as create_mosip
from portal_sandbox.opencrvs import create_app as create_opencrvs
from tests.peers import live_peer

PARTNER_KEY = Path(__file__).parents[2] / "portal_sandbox" / "mosip" / "demo-partner-key.pem"
CREATE_PACKET = "/commons/v1/packetmanager/createPacket"


@pytest.fixture
def world(make_live_portal):
    with live_peer(create_mosip, {"PROCESSING_DELAY": 0.5, "DELIVERY_BACKOFF": 0.05}) as mosip, \
            live_peer(create_opencrvs, {"RETRY_DELAY": 0.05}) as crvs:
        portal = make_live_portal({
            "PORTAL_MOSIP_URL": mosip.url, "PORTAL_MOSIP_WEBSUB_URL": f"{mosip.url}/hub",
            "PORTAL_MOSIP_PARTNER_ID": "opencrvs-partner", "PORTAL_MOSIP_PARTNER_KEY": str(PARTNER_KEY),
            "PORTAL_MOSIP_WEBSUB_SECRET": "browser-websub-secret", "PORTAL_MOSIP_TIMEOUT": 5,
            "PORTAL_OPENCRVS_URL": crvs.url, "PORTAL_OPENCRVS_WEBHOOK_SECRET": "demo-opencrvs-webhook-secret",
            "PORTAL_PACKETS_POLL_SECONDS": 1, "PORTAL_PACKETS_POLL_BASE": 0.1, "PORTAL_JOB_BACKOFF_BASE": 0,
        })
        with portal.app.app_context():
            subscribe_websub()
            deadline = time.time() + 10
            while not Subscription.query.filter_by(peer="mosip", status="active").first():
                assert time.time() < deadline, "MOSIP never verified the WebSub subscription"
                db.session.remove()
                time.sleep(0.1)
            subscribe_opencrvs()
        portal.mosip, portal.crvs = mosip, crvs
        yield portal


def emit(crvs, **body):
    response = httpx.post(f"{crvs.url}/_sandbox/emit", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["records"][0]


def test_a_birth_moves_to_uin_issued_and_a_failure_is_retried_from_the_button(world, page):
    world.create_user("sup", ["supervisor"])
    world.login(page, "sup")
    page.goto(f"{world.url}/packets/")
    expect(page.get_by_role("heading", name="CRVS packets")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    birth = emit(world.crvs, kind="birth")

    packets = page.locator("#packets")
    row = packets.get_by_role("row").filter(has_text=birth["tracking_id"])
    expect(row).to_be_visible(timeout=20_000)
    expect(row).to_contain_text("OpenCRVS notified", timeout=30_000)
    expect(page.locator("#counts")).to_contain_text("OpenCRVS notified")
    assert page.evaluate("window.sameDocument") is True  # the panels changed in place

    # MOSIP's packet manager refuses the next packet: it fails and lands in the failures list.
    world.mosip.fail(400, path=CREATE_PACKET)
    failing = emit(world.crvs, kind="birth")
    failure = page.locator("#failures").get_by_role("row").filter(has_text=failing["tracking_id"])
    expect(failure).to_contain_text("Failed", timeout=30_000)

    world.mosip.heal()
    failure.get_by_role("button", name="Retry").click()

    expect(page.locator("#flash")).to_contain_text("is being retried")
    retried = page.locator("#packets").get_by_role("row").filter(has_text=failing["tracking_id"])
    expect(retried).to_contain_text("OpenCRVS notified", timeout=30_000)
    with world.app.app_context():
        packet = Packet.query.filter_by(tracking_id=failing["tracking_id"]).one()
        actions = [a.action for a in AuditEvent.query.filter_by(subject_type="packet", subject_id=str(packet.id))]
    assert actions == ["packet.retried"]


def test_without_javascript_the_dashboard_and_the_retry_still_work(browser, make_live_portal):
    portal = make_live_portal(run_jobs=False)
    portal.create_user("sup", ["supervisor"])
    with portal.app.app_context():
        packet = Packet(kind="death", event_key="nojs", topic="DEATH_REGISTERED", source="webhook", state="failed",
                        retry_from="received", process="CRVS_DEATH", mosip_source="OPENCRVS",
                        tracking_id="DNOJS01", error_code="RPR-WIS-000", error_message="MOSIP said no", attempts=8)
        db.session.add(packet)
        db.session.commit()
        packet_id = packet.id
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    portal.login(page, "sup")

    page.goto(f"{portal.url}/packets/?kind=death")
    failure = page.locator("#failures").get_by_role("row").filter(has_text="DNOJS01")
    expect(failure).to_contain_text("MOSIP said no")
    failure.get_by_role("button", name="Retry").click()

    expect(page.locator("#flash")).to_contain_text(f"Packet {packet_id} is being retried.")
    assert page.url.endswith("/packets/?kind=death")
    expect(page.locator("#packets").get_by_role("row").filter(has_text="DNOJS01")).to_contain_text("Retrying")
    context.close()


def test_the_packet_page_follows_its_timeline(world, page):
    world.create_user("sup2", ["supervisor"])
    world.login(page, "sup2")
    birth = emit(world.crvs, kind="birth")
    with world.app.app_context():
        deadline = time.time() + 10
        while not Packet.query.filter_by(tracking_id=birth["tracking_id"]).first():
            assert time.time() < deadline
            db.session.remove()
            time.sleep(0.1)
        packet_id = Packet.query.filter_by(tracking_id=birth["tracking_id"]).one().id

    page.goto(f"{world.url}/packets/{packet_id}")

    expect(page.locator("#packet-state")).to_have_text("OpenCRVS notified", timeout=30_000)
    timeline = page.locator("#timeline")
    for step in ("intake", "mosip.create_packet", "opencrvs.notify"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("Time to UIN")
