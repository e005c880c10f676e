"""Issue 12, the other half of the crash window: the worker died while the confirmation was on the wire, so the
portal never learned whether OpenCRVS took it. What was marked before the call ("started", committed) tells the
next attempt so, and it decides with the peer's own idempotency (real HTTP, sandbox OpenCRVS and MOSIP):

* OpenCRVS ignores the same confirmation twice (1.x's mediator: a token the Patient already has; 1.9: an action
  already accepted), so it is sent again unchanged, and OpenCRVS keeps it once;
* never while the earlier send may still be in flight (no two sends at once);
* an OpenCRVS that could not tell a repeat gets it at most twice, and the packet says "possibly duplicated"."""

import time
from datetime import timedelta
from contextlib import ExitStack

import pytest
from sqlalchemy import select, update

from portal import jobs
from portal.clients.opencrvs import OpenCrvsClient
from portal.extensions import db
from portal.packets.models import Notification
from portal.timeutil import utcnow
from tests.integration.packets_support import open_world

LEASE = 1
INTEROP = "/api/opencrvs/registration"
GENERATIONS = [pytest.param("v1", id="v1-mediator"), pytest.param("v1.9", id="v1.9-events-api")]


class WorkerKilled(BaseException):
    """The worker process dies here (SIGKILL): nothing more runs or is committed; the job keeps its lease."""


@pytest.fixture
def world(make_app, request):
    generation = request.param
    with ExitStack() as stack:
        world = open_world(stack, make_app, crvs_config={"GENERATION": generation},
                           portal_config={"PORTAL_JOB_LEASE_SECONDS": LEASE,
                                          "PORTAL_OPENCRVS_GENERATION": generation})
        if generation == "v1.9":
            world.subscribe(crvs=False)
            world.emit("birth", generation="v1.9", url=f"{world.portal.url}{INTEROP}")
        else:
            world.subscribe()
            world.emit("birth")
        yield world


def die_after_the_call(monkeypatch, times=1):
    """OpenCRVS gets the confirmation and answers; the worker dies before the client returns (`times` times)."""
    real, left = OpenCrvsClient.send_outcome, {"n": times}

    def send_then_die(self, outcome):
        real(self, outcome)
        if left["n"] > 0:
            left["n"] -= 1
            raise WorkerKilled()

    monkeypatch.setattr(OpenCrvsClient, "send_outcome", send_then_die)


def confirmations(world):
    return [r for r in world.crvs_received() if r["kind"] in ("mediator", "register.accept")]


def run_until_the_worker_dies(world):
    with pytest.raises(WorkerKilled):
        world.drive(lambda packets: False, timeout=20)


def notification(world):
    with world.app.app_context():
        row = db.session.execute(select(Notification)).scalar_one()
        db.session.expunge(row)
        return row


def details(world, packet_id):
    return [detail for _, _, detail in world.timeline(packet_id)]


@pytest.mark.parametrize("world", GENERATIONS, indirect=True)
def test_a_confirmation_whose_answer_never_came_is_sent_again_unchanged_and_opencrvs_keeps_it_once(
        world, monkeypatch):
    die_after_the_call(monkeypatch)
    run_until_the_worker_dies(world)
    assert notification(world).status == "started"  # marked before the call, never finished

    time.sleep(LEASE + 0.2)
    packet = world.drive(lambda ps: ps[0].state == "notified")[0]

    sent = confirmations(world)
    assert len(sent) == 2 and sent[0]["body"] == sent[1]["body"]  # the same request again, same transaction id
    assert [r["changed"] for r in sent] == [True, False]  # OpenCRVS took the first and ignored the repeat
    row = notification(world)
    assert (row.status, row.sends, row.possibly_duplicated) == ("sent", 2, False)
    assert any("sent again unchanged" in d for d in details(world, packet.id))


@pytest.mark.parametrize("world", ["v1"], indirect=True)
def test_no_second_send_while_the_first_may_still_be_in_flight(world, monkeypatch):
    die_after_the_call(monkeypatch)
    run_until_the_worker_dies(world)
    with world.app.app_context():  # the job is taken again at once, as when a slow worker's lease runs out
        db.session.execute(update(jobs.Job).where(jobs.Job.status == "running")
                           .values(lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    world.drive(lambda packets: True, timeout=5)
    packet = world.packets()[0]
    assert packet.state == "uin_issued" and len(confirmations(world)) == 1
    assert any("may still be in flight" in d for d in details(world, packet.id))

    time.sleep(LEASE + 0.2)  # the earlier send cannot be in flight any more
    world.drive(lambda ps: ps[0].state == "notified")
    assert len(confirmations(world)) == 2


@pytest.mark.parametrize("world", ["v1"], indirect=True)
def test_an_opencrvs_that_cannot_tell_a_repeat_gets_it_at_most_twice_and_the_packet_says_so(world, monkeypatch):
    monkeypatch.setattr(OpenCrvsClient, "ignores_repeats", lambda self, outcome: False)
    die_after_the_call(monkeypatch, times=2)
    run_until_the_worker_dies(world)
    time.sleep(LEASE + 0.2)
    run_until_the_worker_dies(world)  # sent again once, and again no answer
    row = notification(world)
    assert (row.status, row.sends, row.possibly_duplicated) == ("started", 2, True)

    time.sleep(LEASE + 0.2)
    packet = world.drive(lambda ps: ps[0].state == "failed")[0]

    assert len(confirmations(world)) == 2  # not a third time
    assert packet.error_code == "POSSIBLY_DUPLICATED"
    assert "not sent a third time" in packet.error_message
    assert any("may have it twice" in d for d in details(world, packet.id))
