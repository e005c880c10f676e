"""A birth from OpenCRVS gets a UIN from MOSIP and the UIN token goes back to OpenCRVS (real HTTP)."""

from contextlib import ExitStack

import pytest

from tests.integration.packets_support import all_in, open_world


@pytest.fixture
def world(make_app, request):
    with ExitStack() as stack:
        yield open_world(stack, make_app, portal_config=getattr(request, "param", None))


def test_a_birth_reaches_notified_with_the_uin_token_in_opencrvs(world):
    world.subscribe()
    emitted = world.emit("birth")["records"][0]
    packets = world.drive(all_in("notified"))
    assert len(packets) == 1
    packet = packets[0]
    assert packet.kind == "birth" and packet.tracking_id == emitted["tracking_id"].upper()
    assert packet.registration_number == emitted["registration_number"].upper()
    assert len(packet.rid) == 29 and packet.rid.startswith("1000110004")
    assert packet.uin_token and len(packet.uin_token) == 36 and packet.uin_issued_at and packet.notified_at
    visited = []
    for _, state, _ in world.timeline(packet.id):
        if not visited or visited[-1] != state:
            visited.append(state)
    # PROCESSING may be skipped when the credential comes before the first poll
    assert visited in (["received", "packet_created", "synced", "processing", "uin_issued", "notified"],
                       ["received", "packet_created", "synced", "uin_issued", "notified"])
    mediator = [r for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"]
    assert len(mediator) == 1
    body = mediator[0]["body"]
    assert body["BRN"] == emitted["registration_number"] and body["MOSIP_PSUT_TOKEN_ID"] == packet.uin_token
    assert body["MOSIP_AID"] == packet.rid
    # MOSIP got exactly one packet and one workflow for it
    state = world.mosip_state()
    assert [p["id"] for p in state["packets"]] == [packet.rid]
    assert [w["rid"] for w in state["workflows"]] == [packet.rid]


def test_several_births_all_get_their_uin(world):
    world.subscribe()
    world.emit("birth", count=5)
    packets = world.drive(all_in("notified"), timeout=40)
    assert len(packets) == 5 and len({p.uin_token for p in packets}) == 5


@pytest.mark.parametrize("world", [{"PORTAL_MOSIP_RID_MODE": "local"}], indirect=True, ids=["local-rid"])
def test_rids_can_be_made_locally_in_mosips_format(world):
    world.subscribe()
    world.emit("birth")
    packet = world.drive(all_in("notified"))[0]
    assert packet.rid.startswith("1000110004") and int(packet.rid[10:15]) == packet.id
    assert any("generated locally" in (d or "") for _, _, d in world.timeline(packet.id))


def test_an_opencrvs_record_with_a_mosip_aid_keeps_it_as_the_rid(world):
    world.subscribe()
    made = world.emit("birth", with_aid=True)["records"][0]
    packet = world.drive(all_in("notified"))[0]
    assert packet.rid == packet.mosip_aid and len(packet.rid) == 29
    assert made["tracking_id"].upper() == packet.tracking_id
