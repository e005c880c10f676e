"""A portal configured for OpenCRVS 1.9 puts in `child.nid` what OpenCRVS's own mosip-api puts there: the VID
of the MOSIP credential (opencrvs/mosip `routes/websub-credential-issued.ts`: `nationalId:
credentialSubject.VID`), unless PORTAL_MOSIP_RETURN_ID says otherwise (real HTTP)."""

from contextlib import ExitStack

import pytest

from tests.integration.packets_support import all_in, open_world

URL = "/api/opencrvs/registration"


@pytest.fixture
def world(make_app, monkeypatch):
    # The generation as a deployment sets it: in the environment, where the default is derived from.
    monkeypatch.setenv("PORTAL_OPENCRVS_GENERATION", "v1.9")
    monkeypatch.delenv("PORTAL_MOSIP_RETURN_ID", raising=False)
    with ExitStack() as stack:
        yield open_world(stack, make_app, crvs_config={"GENERATION": "v1.9"})


def test_a_v19_birth_is_confirmed_with_the_vid_of_its_identity(world):
    world.subscribe(crvs=False)
    world.emit("birth", generation="v1.9", url=f"{world.portal.url}{URL}")

    packet = world.drive(all_in("notified"))[0]

    [identity] = [i for i in world.mosip_state()["identities"].values() if i["registrationId"] == packet.rid]
    [accepted] = [r for r in world.crvs_received() if r["kind"] == "register.accept"]
    assert accepted["body"]["declaration"] == {"child.nid": identity["VID"]}
    assert identity["VID"] != identity["UIN"]
