"""A whole OpenCRVS → portal → MOSIP world over real HTTP for the pipeline tests: sandbox MOSIP, sandbox
OpenCRVS and the portal each on its own port; jobs run in the test thread with `drive()`. Also the packets the
dashboard tests store directly: `add` (a received packet with its intake event) and `failed_packet`."""

import itertools
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from portal import jobs
from portal.extensions import db
from portal.packets.cli import subscribe_opencrvs
from portal.packets.handlers import subscribe_websub
from portal.packets.models import Packet, PacketEvent, Subscription
from portal_sandbox.mosip import create_app as create_mosip
from portal_sandbox.opencrvs import create_app as create_opencrvs
from tests.peers import live_peer

KEY = Path(__file__).parents[2] / "portal_sandbox" / "mosip" / "demo-partner-key.pem"
WEBHOOK_SECRET = "demo-opencrvs-webhook-secret"
WEBSUB_SECRET = "test-websub-secret"
SERIAL = itertools.count(1)  # distinct event keys and tracking ids across the tests


class World:
    def __init__(self, app, portal, mosip, crvs):
        self.app, self.portal, self.mosip, self.crvs = app, portal, mosip, crvs

    # peers ---------------------------------------------------------------------------------------------
    def emit(self, kind="birth", count=1, **extra):
        response = httpx.post(f"{self.crvs.url}/_sandbox/emit", json={"kind": kind, "count": count, **extra},
                              timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def crvs_received(self):
        return httpx.get(f"{self.crvs.url}/_sandbox/received").json()["received"]

    def mosip_state(self):
        return httpx.get(f"{self.mosip.url}/_sandbox/state").json()

    def mosip_rules(self, **rules):
        assert httpx.post(f"{self.mosip.url}/_sandbox/processing", json=rules).status_code == 200

    # portal --------------------------------------------------------------------------------------------
    def subscribe(self, mosip=True, crvs=True):
        with self.app.app_context():
            if mosip:
                subscribe_websub()
                self.wait(lambda: Subscription.query.filter_by(peer="mosip", status="active").first())
            if crvs:
                subscribe_opencrvs()

    def packets(self):
        with self.app.app_context():
            rows = db.session.execute(db.select(Packet).order_by(Packet.id)).scalars().all()
            for row in rows:
                db.session.expunge(row)
            return rows

    def drive(self, until, timeout=20.0):
        """Run due jobs (and wait for WebSub deliveries) until `until(packets)` holds."""
        deadline = time.time() + timeout
        while True:
            with self.app.app_context():
                jobs.work_until_idle(max_jobs=200)
                db.session.remove()
            packets = self.packets()
            if until(packets):
                return packets
            if time.time() > deadline:
                raise AssertionError(f"not done in {timeout}s: {[(p.id, p.state, p.error_message) for p in packets]}")
            time.sleep(0.05)

    def wait(self, predicate, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.app.app_context():
                value = predicate()
                db.session.remove()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("condition not met in time")

    def timeline(self, packet_id):
        with self.app.app_context():
            packet = db.session.get(Packet, packet_id)
            return [(e.step, e.state, e.detail) for e in packet.events]

    def jobs(self):
        with self.app.app_context():
            rows = jobs.Job.query.order_by(jobs.Job.id).all()
            return [(j.kind, j.status, j.attempts, j.last_error) for j in rows]


def all_in(*wanted):
    return lambda packets: bool(packets) and all(p.state in wanted for p in packets)


def open_world(stack: ExitStack, make_app, mosip_config=None, crvs_config=None, portal_config=None):
    """Start the three servers; returns a World. The ExitStack stops them."""
    mosip = stack.enter_context(live_peer(create_mosip, {"PROCESSING_DELAY": 0.05, "DELIVERY_BACKOFF": 0.05,
                                                         **(mosip_config or {})}))
    crvs = stack.enter_context(live_peer(create_opencrvs, {"RETRY_DELAY": 0.05, **(crvs_config or {})}))
    holder = {}

    def build(config):
        holder["app"] = make_app({
            "PORTAL_PUBLIC_URL": config["PUBLIC_URL"],
            "PORTAL_MOSIP_URL": mosip.url, "PORTAL_MOSIP_WEBSUB_URL": f"{mosip.url}/hub",
            "PORTAL_MOSIP_CLIENT_ID": "mosip-crvs-client", "PORTAL_MOSIP_SECRET": "demo-mosip-secret",
            "PORTAL_MOSIP_PARTNER_ID": "opencrvs-partner", "PORTAL_MOSIP_PARTNER_KEY": str(KEY),
            "PORTAL_MOSIP_WEBSUB_SECRET": WEBSUB_SECRET, "PORTAL_MOSIP_CENTRE_ID": "10001",
            "PORTAL_MOSIP_MACHINE_ID": "10004", "PORTAL_MOSIP_TIMEOUT": 5,
            "PORTAL_OPENCRVS_URL": crvs.url, "PORTAL_OPENCRVS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PORTAL_OPENCRVS_CLIENT_ID": "interop-portal",
            "PORTAL_OPENCRVS_CLIENT_SECRET": "demo-opencrvs-client-secret",
            "PORTAL_PACKETS_POLL_BASE": 0.02, "PORTAL_PACKETS_CREDENTIAL_GRACE": 30, "PORTAL_JOB_BACKOFF_BASE": 0,
            **(portal_config or {}),
        })
        return holder["app"]

    portal = stack.enter_context(live_peer(build))
    return World(holder["app"], portal, mosip, crvs)


def add(app, **values):
    n = next(SERIAL)
    fields = dict(kind="birth", event_key=f"page-event-{n}", topic="BIRTH_REGISTERED", source="webhook",
                  state="received", process="CRVS_NEW", mosip_source="OPENCRVS", tracking_id=f"B{n:06d}",
                  registration_number=f"2025B{n:06d}")
    fields.update(values)
    with app.app_context():
        packet = Packet(**fields)
        db.session.add(packet)
        db.session.flush()
        db.session.add(PacketEvent(packet_id=packet.id, step="intake", state="received", detail="stored"))
        db.session.commit()
        return packet.id


def failed_packet(app, state="failed", **values):
    with app.app_context():
        packet = Packet(kind="birth", event_key=f"action-{state}-{values.get('tracking_id', 'x')}",
                        topic="BIRTH_REGISTERED", source="webhook", state=state, retry_from="received",
                        process="CRVS_NEW", mosip_source="OPENCRVS", tracking_id="BFAIL01", error_code="RPR-X",
                        error_message="MOSIP unreachable", attempts=8, **values)
        db.session.add(packet)
        db.session.commit()
        return packet.id
