"""OpenCRVS 1.9 may send the interop call with few `requestFields` (OpenCRVS's mosip-api needs only the
certificate number): the portal takes it (202), and what MOSIP then refuses goes back to OpenCRVS as the
record's rejection, with the reason (real HTTP)."""

from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from portal.extensions import db
from portal.packets.models import Packet
from tests.integration.packets_support import open_world

URL = "/api/opencrvs/registration"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "crvs"
# A MOSIP as the real one: the packet manager writes whatever fields it gets (mosip/packet-manager
# `PacketWriter.createPacket` validates nothing), the registration processor's packet validation refuses it.
REAL_MOSIP = {"MANDATORY_FIELDS": {}, "REJECT_IF_MISSING": ["fullName", "dateOfBirth", "gender"]}


@pytest.fixture
def world(make_app):
    with ExitStack() as stack:
        yield open_world(stack, make_app, mosip_config=REAL_MOSIP, crvs_config={"GENERATION": "v1.9"},
                         portal_config={"PORTAL_OPENCRVS_GENERATION": "v1.9"})


@pytest.mark.parametrize("fixture", ["opencrvs-mosip__event-registration-birth-number-only-DERIVED.json",
                                     "opencrvs-farajaland__mosip-birth-register-DERIVED.json"],
                         ids=["certificate number only", "farajaland country config"])
def test_a_call_with_few_request_fields_is_accepted(world, fixture):
    token = httpx.post(f"{world.crvs.url}/_sandbox/token", json={"eventId": "ev-1", "actionId": "ac-1"}).json()["token"]

    response = httpx.post(f"{world.portal.url}{URL}", content=(FIXTURES / fixture).read_bytes(),
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    assert response.status_code == 202 and response.json() == {}
    with world.app.app_context():
        [packet] = db.session.query(Packet).all()
        assert (packet.kind, packet.source, packet.opencrvs_event_id) == ("birth", "interop", "ev-1")


def test_what_mosip_then_refuses_goes_back_to_opencrvs_as_the_rejection(world):
    world.subscribe(crvs=False)
    made = world.emit("birth", generation="v1.9", url=f"{world.portal.url}{URL}",
                      request_fields=["birthCertificateNumber"])
    assert made["deliveries"][0]["status"] == 202

    packet = world.drive(lambda ps: ps and ps[0].state == "rejected" and ps[0].error_notified)[0]

    assert packet.error_code == "REJECTED"
    sent = {r["kind"]: r["body"] for r in world.crvs_received()}
    assert set(sent) == {"register.reject", "reject.request"}
    assert sent["reject.request"]["content"]["reason"] == packet.error_message
    assert "REJECTED" in packet.error_message
