"""A correction of a birth (BIRTH_CORRECTED) becomes a CRVS_UPDATE packet carrying the UIN of the identity the
earlier birth packet made, is followed to PROCESSED and its outcome goes back to OpenCRVS (real HTTP)."""

from contextlib import ExitStack

import httpx
import pytest

from portal.packets.cli import subscribe_opencrvs
from portal.packets.handlers import NO_UIN_KNOWN
from tests.integration.packets_support import all_in, open_world
from tests.sandbox.mosip_support import CORRECTIONS_CRVS1, readme_properties

CORRECTIONS = ("BIRTH_CORRECTED", "DEATH_CORRECTED")


@pytest.fixture
def world(make_app, request):
    with ExitStack() as stack:
        # corrections need the MOSIP lines the README gives a deployment (a stock v1.3.0 has no CRVS_UPDATE writer)
        yield open_world(stack, make_app, mosip_config={"MOSIP_PROPERTIES": readme_properties(CORRECTIONS_CRVS1)},
                         portal_config=getattr(request, "param", None))


def correct(world, record_id, **extra):
    response = httpx.post(f"{world.crvs.url}/_sandbox/correct", json={"record_id": record_id, **extra}, timeout=30)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["deliveries"] and all(d["status"] == 202 for d in result["deliveries"]), result["deliveries"]
    return result


def subscribe_corrections(world):
    with world.app.app_context():
        subscribe_opencrvs(CORRECTIONS)


def by_topic(packets, topic):
    return [p for p in packets if p.topic == topic]


def test_a_correction_after_a_registered_birth_updates_the_same_uin(world):
    world.subscribe()
    subscribe_corrections(world)
    emitted = world.emit("birth")["records"][0]
    birth = world.drive(all_in("notified"))[0]

    correct(world, emitted["record_id"], given="Chisomo")
    packets = world.drive(lambda ps: len(ps) == 2 and all(p.state == "notified" for p in ps))
    update = by_topic(packets, "BIRTH_CORRECTED")[0]
    assert (update.kind, update.process) == ("birth", "CRVS_UPDATE")
    assert update.rid != birth.rid and len(update.rid) == 29
    assert update.tracking_id == birth.tracking_id and update.registration_number == birth.registration_number
    # the same identity: the same UIN, so the same partner token
    assert update.uin_token == birth.uin_token
    assert any("updates the identity made by packet" in (d or "") for _, _, d in world.timeline(update.id))

    state = world.mosip_state()
    sent = {p["id"]: p for p in state["packets"]}
    assert sent[update.rid]["process"] == "CRVS_UPDATE"
    workflows = {w["rid"]: w for w in state["workflows"]}
    assert workflows[update.rid]["status"] == "PROCESSED"
    uin = workflows[birth.rid]["outcome"]["UIN"]
    assert workflows[update.rid]["outcome"]["UIN"] == uin
    assert sent[update.rid]["fields"]["UIN"] == uin and "Chisomo" in sent[update.rid]["fields"]["fullName"]
    assert '"UPDATE"' in sent[update.rid]["metaInfo"]["metaData"]
    # no new identity was made, and the birth's identity now has the corrected RID in its history
    made = [i for i in state["identities"].values() if i["registrationId"] == birth.rid]
    assert len(made) == 1 and made[0]["UIN"] == uin and made[0]["updatedBy"] == [update.rid]

    mediator = [r for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"]
    assert len(mediator) == 2
    body = mediator[1]["body"]
    assert body["BRN"] == emitted["registration_number"] and body["MOSIP_PSUT_TOKEN_ID"] == birth.uin_token
    assert body["MOSIP_AID"] == update.rid


def test_a_correction_for_a_record_the_portal_never_registered_fails_with_a_plain_reason(world):
    world.subscribe(crvs=False)
    subscribe_corrections(world)  # the birth itself never reaches the portal
    emitted = world.emit("birth")["records"][0]
    correct(world, emitted["record_id"], given="Chisomo")
    packets = world.drive(all_in("failed"))
    assert len(packets) == 1
    packet = packets[0]
    assert packet.topic == "BIRTH_CORRECTED" and packet.process == "CRVS_UPDATE"
    assert packet.error_message == NO_UIN_KNOWN
    assert packet.error_message == "no UIN known for this record: the birth was not registered through the portal"
    assert packet.error_code == "NO_UIN_KNOWN" and packet.rid is None
    assert world.timeline(packet.id)[-1] == ("mosip.create_packet", "failed", NO_UIN_KNOWN)
    state = world.mosip_state()
    assert state["packets"] == [] and state["workflows"] == []
    assert not [r for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"]
    assert not [j for j in world.jobs() if j[1] == "dead"]


def test_the_same_correction_twice_makes_one_packet(world):
    world.subscribe()
    subscribe_corrections(world)
    emitted = world.emit("birth")["records"][0]
    world.drive(all_in("notified"))
    result = correct(world, emitted["record_id"], given="Chisomo", repeat=2)
    assert len(result["deliveries"]) == 2
    packets = world.drive(lambda ps: len(ps) == 2 and all(p.state == "notified" for p in ps))
    assert len(by_topic(packets, "BIRTH_CORRECTED")) == 1
    update = by_topic(packets, "BIRTH_CORRECTED")[0]
    assert [w["rid"] for w in world.mosip_state()["workflows"]].count(update.rid) == 1
    assert len([r for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"]) == 2
    # a second, different correction of the same record is a new update
    correct(world, emitted["record_id"], given="Tiyamike")
    packets = world.drive(lambda ps: len(ps) == 3 and all(p.state == "notified" for p in ps))
    updates = by_topic(packets, "BIRTH_CORRECTED")
    assert len(updates) == 2 and updates[0].uin_token == updates[1].uin_token == packets[0].uin_token


def test_a_correction_of_a_record_with_a_mosip_aid_gets_its_own_rid(world):
    world.subscribe()
    subscribe_corrections(world)
    emitted = world.emit("birth", with_aid=True)["records"][0]
    birth = world.drive(all_in("notified"))[0]
    assert birth.mosip_aid and birth.rid == birth.mosip_aid
    correct(world, emitted["record_id"])
    packets = world.drive(lambda ps: len(ps) == 2 and all(p.state == "notified" for p in ps))
    update = by_topic(packets, "BIRTH_CORRECTED")[0]
    assert update.mosip_aid == birth.rid and update.rid != birth.rid
    assert update.uin_token == birth.uin_token


def test_subscribe_asks_for_the_correction_topics_only_when_told(world):
    runner = world.app.test_cli_runner()
    first = runner.invoke(args=["packets", "subscribe", "--no-mosip"])
    assert first.exit_code == 0, first.output
    assert "OpenCRVS: subscribed to BIRTH_REGISTERED, DEATH_REGISTERED" in first.output
    second = runner.invoke(args=["packets", "subscribe", "--no-mosip", "--corrections"])
    assert second.exit_code == 0, second.output
    assert "OpenCRVS: subscribed to BIRTH_CORRECTED, DEATH_CORRECTED" in second.output
    crvs = httpx.get(f"{world.crvs.url}/_sandbox/subscriptions").json()["subscriptions"]
    assert sorted(s["topic"] for s in crvs) == ["BIRTH_CORRECTED", "BIRTH_REGISTERED", "DEATH_CORRECTED",
                                                "DEATH_REGISTERED"]
