"""MOSIP rejects, MOSIP is down, a worker dies mid-job, a supervisor retries or rejects (real HTTP)."""

import time
from contextlib import ExitStack

import pytest

from portal import audit, jobs
from portal.extensions import db
from portal.packets import pipeline
from portal.packets.models import Packet
from tests.integration.packets_support import all_in, open_world


@pytest.fixture
def world(make_app, request):
    with ExitStack() as stack:
        yield open_world(stack, make_app, portal_config=getattr(request, "param", None))


# Errors go back to OpenCRVS 1.9 (the events API's reject); OpenCRVS 1.x's country config has no error channel.
V19 = {"PORTAL_OPENCRVS_GENERATION": "v1.9"}


def mediator_posts(world):
    return [r["body"] for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"]


def emit_v19(world):
    return world.emit("birth", generation="v1.9", url=f"{world.portal.url}/api/opencrvs/registration")


def rejection_sent(world):
    return {r["kind"]: r["body"] for r in world.crvs_received() if r["kind"] in ("register.reject", "reject.request")}


@pytest.mark.parametrize("world", [V19], indirect=True, ids=["v1.9"])
def test_a_mosip_rejection_sends_the_error_back_to_opencrvs(world):
    world.subscribe(crvs=False)
    world.mosip_rules(reject_rate=1.0)
    emit_v19(world)
    packet = world.drive(lambda ps: ps and ps[0].state == "rejected" and ps[0].error_notified)[0]
    assert packet.error_code == "REJECTED" and "REJECTED" in packet.error_message
    assert packet.uin_token is None
    sent = rejection_sent(world)
    assert sent["register.reject"]["actionId"] == packet.action_id
    assert sent["reject.request"]["content"]["reason"] == packet.error_message


def test_a_mosip_rejection_is_not_sent_to_opencrvs_1_and_the_packet_says_why(world):
    world.subscribe()
    world.mosip_rules(reject_rate=1.0)
    world.emit("birth")
    packet = world.drive(lambda ps: ps and ps[0].state == "rejected" and ps[0].error_notified)[0]
    assert packet.error_code == "REJECTED"
    assert mediator_posts(world) == []
    assert "nothing sent to OpenCRVS: OpenCRVS 1.x cannot take MOSIP's error" in world.timeline(packet.id)[-1][2]


def test_mosip_down_then_up_retries_then_succeeds(world):
    world.subscribe()
    world.mosip.fail(503, count=3, path="/commons/v1/packetmanager")
    world.emit("birth")
    packet = world.drive(all_in("notified"))[0]
    rows = world.timeline(packet.id)
    retries = [d for step, state, d in rows if state == "retrying"]
    assert len(retries) == 3 and all("503" in d for d in retries)
    assert [p["id"] for p in world.mosip_state()["packets"]] == [packet.rid]  # one packet, same RID each time
    assert len(mediator_posts(world)) == 1


@pytest.mark.parametrize("world", [{"PORTAL_JOB_LEASE_SECONDS": 1}], indirect=True, ids=["short-lease"])
def test_a_worker_killed_mid_pipeline_is_resumed_and_finishes_once(world):
    world.subscribe()
    world.emit("birth")
    with world.app.app_context():
        first = jobs.claim("doomed-worker")  # taken by a worker that then dies: never run, never released
        assert first.kind == "mosip.create_packet"
        db.session.remove()
    time.sleep(1.2)  # the lease expires
    packet = world.drive(all_in("notified"))[0]
    assert len(mediator_posts(world)) == 1
    assert len(world.mosip_state()["workflows"]) == 1
    with world.app.app_context():
        job = db.session.get(jobs.Job, first.id)
        assert job.status == "done" and job.attempts == 2
    assert packet.state == "notified"


def test_a_permanent_failure_waits_for_the_supervisor_who_retries_it(world):
    world.subscribe()
    world.mosip.fail(400, count=1, path="/commons/v1/packetmanager")
    world.emit("birth")
    failed = world.drive(all_in("failed"))[0]
    assert failed.retry_from == "received" and "400" in failed.error_message and failed.attempts == 1
    assert mediator_posts(world) == []  # nothing goes back until the supervisor decides
    with world.app.app_context():
        pipeline.retry_packet(db.session.get(Packet, failed.id), actor="supervisor1")
        db.session.commit()
    packet = world.drive(all_in("notified"))[0]
    assert packet.retries == 1
    with world.app.app_context():
        events = audit.AuditEvent.query.filter_by(action="packet.retried", subject_id=str(packet.id)).all()
        assert [e.actor for e in events] == ["supervisor1"]


@pytest.mark.parametrize("world", [V19], indirect=True, ids=["v1.9"])
def test_a_supervisor_rejects_a_failed_packet_with_a_reason(world):
    world.subscribe(crvs=False)
    world.mosip.fail(400, count=1, path="/commons/v1/packetmanager")
    emit_v19(world)
    failed = world.drive(all_in("failed"))[0]
    with world.app.app_context():
        pipeline.reject_packet(db.session.get(Packet, failed.id), "duplicate of an earlier record", actor="sup")
        db.session.commit()
    packet = world.drive(lambda ps: ps[0].error_notified)[0]
    assert packet.state == "rejected" and packet.error_code == "REJECTED_BY_SUPERVISOR"
    assert rejection_sent(world)["reject.request"]["content"]["reason"] == "duplicate of an earlier record"
    with world.app.app_context():
        assert audit.AuditEvent.query.filter_by(action="packet.rejected").count() == 1


@pytest.mark.parametrize("world", [{"PORTAL_JOB_MAX_ATTEMPTS": 3}], indirect=True, ids=["3-attempts"])
def test_transient_errors_until_the_last_attempt_end_failed(world):
    world.subscribe()
    world.mosip.fail(503, count=None, path="/commons/v1/packetmanager")
    world.emit("birth")
    packet = world.drive(all_in("failed"))[0]
    assert packet.attempts == 3 and "503" in packet.error_message
    assert [s for _, s, _ in world.timeline(packet.id)][-3:] == ["retrying", "retrying", "failed"]
    world.mosip.heal()
