"""Over real HTTP: the credential MOSIP issues for MOSIP's own OpenCRVS stage (`additionalData.opencrvsBRN`,
subject id = the VID, no RID: mosip/mosip-opencrvs `OpencrvsStage`, HEAD d5a6b23b) reaches its packet through the
registration number the portal wrote in the packet's metaInfo; one that names nothing is kept, listed for
supervisors, and claimed by the packet whose RID the identity repository resolves to the same UIN."""

import html
import json
from contextlib import ExitStack

import pytest

from portal.extensions import db
from portal.jobs import Job
from portal.packets.models import InboundEvent, Packet
from portal.timeutil import utcnow
from tests.integration.packets_support import all_in, open_world


@pytest.fixture
def world(make_app, request):
    with ExitStack() as stack:
        yield open_world(stack, make_app, mosip_config={"CREDENTIAL_SHAPE": "opencrvs-stage", **request.param},
                         # no identity-repository fallback during the test: only the credential can issue the UIN
                         portal_config={"PORTAL_PACKETS_CREDENTIAL_GRACE": 3600})


def delivered_events(world):
    hub = world.mosip.app.extensions["mosip_state"].hub
    return [json.loads(event["body"]) for event in hub.events if event["topic"].endswith("/CREDENTIAL_ISSUED")]


def mosip_inbound(world):
    with world.app.app_context():
        row = InboundEvent.query.filter_by(channel="mosip").one()
        db.session.expunge(row)
        return row


@pytest.mark.parametrize("world", [{"CREDENTIAL_BRN_KEY": "opencrvsBRN"}, {"CREDENTIAL_BRN_KEY": "opencrvsId"}],
                         indirect=True, ids=["opencrvsBRN", "opencrvsId-before-2022-08"])
def test_a_credential_of_mosips_opencrvs_stage_finds_its_packet_by_the_registration_number(world):
    world.subscribe()
    world.emit("birth")
    packet = world.drive(all_in("notified"))[0]

    event = delivered_events(world)[0]["event"]
    assert "registrationId" not in event["data"] and packet.rid not in json.dumps(event)
    assert packet.registration_number in (event["data"].get("opencrvsBRN"), event["data"].get("opencrvsId"))
    assert any("WebSub credential, found by the" in (d or "") for _, _, d in world.timeline(packet.id))
    inbound = mosip_inbound(world)
    assert (inbound.status, inbound.packet_id) == ("processed", packet.id)


@pytest.mark.parametrize("world", [{"CREDENTIAL_BRN_KEY": ""}], indirect=True, ids=["no-additional-data"])
def test_a_credential_naming_nothing_is_kept_shown_and_claimed_by_the_packet_with_its_uin(world, login_as):
    world.subscribe()
    world.emit("birth")

    def credential_kept(_packets):
        with world.app.app_context():
            kept = InboundEvent.query.filter_by(channel="mosip", status="unmatched").first() is not None
            db.session.remove()
        return kept

    world.drive(credential_kept)
    client = world.app.test_client()
    login_as(client, "supervisor")
    page = html.unescape(client.get("/packets/", headers={"Accept-Language": "fr"}).text)
    assert "Justificatifs reçus pour aucun paquet connu" in page and mosip_inbound(world).key in page

    with world.app.app_context():  # MOSIP said UIN_GENERATED long ago: the grace period is over
        assert Packet.query.one().state in ("synced", "processing")  # waiting for its credential
        fallback = Job.query.filter_by(kind="mosip.credential_fallback").one()
        fallback.next_attempt_at = utcnow()
        db.session.commit()
    packet = world.drive(all_in("notified"))[0]

    assert any("found by its UIN, after it had come for no known packet" in (d or "")
               for _, _, d in world.timeline(packet.id))
    inbound = mosip_inbound(world)
    assert (inbound.status, inbound.packet_id) == ("processed", packet.id)
    assert "Aucun justificatif n'attend son paquet." in html.unescape(
        client.get("/packets/panels/unmatched", headers={"Accept-Language": "fr"}).text)
