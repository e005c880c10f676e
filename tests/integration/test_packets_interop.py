"""OpenCRVS v1.9: the interop call with its JWT into the same pipeline, the NID confirmed back through the
events API (real HTTP)."""

from contextlib import ExitStack

import httpx
import pytest

from portal.extensions import db
from portal.packets.models import Packet
from tests.integration.packets_support import all_in, open_world

URL = "/api/opencrvs/registration"


@pytest.fixture
def world(make_app):
    with ExitStack() as stack:
        world = open_world(stack, make_app, crvs_config={"GENERATION": "v1.9"},
                           portal_config={"PORTAL_OPENCRVS_GENERATION": "v1.9"})
        yield world


def test_a_v19_birth_is_confirmed_with_the_nid(world):
    world.subscribe(crvs=False)  # v1.9 calls us; no webhooks
    made = world.emit("birth", generation="v1.9", url=f"{world.portal.url}{URL}")
    assert made["deliveries"][0]["status"] == 202
    packet = world.drive(all_in("notified"))[0]
    assert packet.source == "interop" and packet.opencrvs_event_id and packet.action_id
    accepted = [r for r in world.crvs_received() if r["kind"] == "register.accept"]
    assert len(accepted) == 1
    assert accepted[0]["body"]["declaration"] == {"child.nid": packet.uin_token}
    assert accepted[0]["body"]["registrationNumber"] == made["records"][0]["registration_number"]


def test_the_same_interop_call_twice_makes_one_packet(world):
    token = httpx.post(f"{world.crvs.url}/_sandbox/token", json={"eventId": "ev-1", "actionId": "ac-1"}).json()["token"]
    body = {"trackingId": "BX1", "notification": {}, "metaInfo": {}, "audit": {},
            "requestFields": {"birthCertificateNumber": "2025BX1",
                              "fullName": '[{"language":"eng","value":"Ada Lovelace"}]',
                              "dateOfBirth": "2025/01/02", "gender": '[{"language":"eng","value":"Female"}]'}}
    for _ in range(2):
        response = httpx.post(f"{world.portal.url}{URL}", json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 202 and response.json() == {}
    with world.app.app_context():
        assert db.session.query(Packet).count() == 1


@pytest.mark.parametrize("header", [None, "Bearer not-a-jwt", "Basic abc"], ids=["none", "garbage", "basic"])
def test_calls_without_a_valid_opencrvs_token_are_401(world, header):
    headers = {"Authorization": header} if header else {}
    response = httpx.post(f"{world.portal.url}{URL}", json={"trackingId": "x"}, headers=headers)
    assert response.status_code == 401
    with world.app.app_context():
        assert db.session.query(Packet).count() == 0


def test_an_expired_token_is_401(world):
    token = httpx.post(f"{world.crvs.url}/_sandbox/token", json={"expired": True}).json()["token"]
    response = httpx.post(f"{world.portal.url}{URL}", json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json()["error"]


def test_a_valid_token_with_a_bad_payload_is_422(world):
    token = httpx.post(f"{world.crvs.url}/_sandbox/token", json={"eventId": "e", "actionId": "a"}).json()["token"]
    response = httpx.post(f"{world.portal.url}{URL}", json={"trackingId": "T1", "requestFields": {}},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and "birthCertificateNumber" in response.json()["error"]
