"""A death deactivates the deceased's UIN at MOSIP; OpenCRVS 1.x cannot take a death's outcome (its country
config's mosipMediatorHandler reads only births), so nothing goes back and the packet says why (real HTTP)."""

from contextlib import ExitStack

import pytest

from tests.integration.packets_support import all_in, open_world

SEEDED_UIN = "2784528096"  # an identity of the sandbox MOSIP's seed


@pytest.fixture
def world(make_app, request):
    with ExitStack() as stack:
        yield open_world(stack, make_app, portal_config=getattr(request, "param", None))


def test_a_death_packet_deactivates_the_uin(world):
    world.subscribe()
    world.emit("death", national_ids=[SEEDED_UIN])
    packet = world.drive(all_in("notified"))[0]
    assert packet.kind == "death" and packet.process == "CRVS_DEATH"
    assert world.mosip_state()["identities"][SEEDED_UIN]["status"] == "DEACTIVATED"
    states = [s for _, s, _ in world.timeline(packet.id)]
    assert "deactivation_requested" in states and "deactivated" in states
    assert [r for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"] == []
    assert "nothing sent to OpenCRVS: OpenCRVS 1.x cannot take a death's outcome" in world.timeline(packet.id)[-1][2]


@pytest.mark.parametrize("world", [{"PORTAL_MOSIP_DEATH_MODE": "idrepo"}], indirect=True, ids=["idrepo"])
def test_a_death_through_the_identity_repository(world):
    world.subscribe()
    world.emit("death", national_ids=["4444333322"])
    packet = world.drive(all_in("notified"))[0]
    assert world.mosip_state()["identities"]["4444333322"]["status"] == "DEACTIVATED"
    assert world.mosip_state()["packets"] == []  # no death packet in this mode
    assert any("identity repository" in (d or "") for _, _, d in world.timeline(packet.id))


@pytest.mark.parametrize("world", [None, {"PORTAL_MOSIP_DEATH_MODE": "idrepo"}], indirect=True,
                         ids=["packet", "idrepo"])
def test_an_unknown_uin_is_rejected_and_the_packet_says_opencrvs_1_cannot_take_it(world):
    world.subscribe()
    world.emit("death", national_ids=["9999999999"])
    packet = world.drive(lambda ps: ps and ps[0].state == "rejected" and ps[0].error_notified)[0]
    assert packet.error_message
    assert [r for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"] == []
    assert "nothing sent to OpenCRVS" in world.timeline(packet.id)[-1][2]
