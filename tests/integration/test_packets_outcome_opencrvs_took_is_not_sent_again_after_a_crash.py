"""Issue 12, the crash window made deterministic: OpenCRVS answered the confirmation (UIN token, or MOSIP's error),
then the worker died before the packet's new state was committed. The job runs again once its lease has expired;
OpenCRVS must have received the confirmation exactly once (real HTTP, sandbox OpenCRVS and MOSIP)."""

import time
from contextlib import ExitStack

import pytest

from portal.packets.handlers import outcome
from tests.integration.packets_support import open_world

LEASE = 1  # seconds: how long a dead worker's job waits before another worker takes it
V1 = {"PORTAL_JOB_LEASE_SECONDS": LEASE}
V19 = {"PORTAL_JOB_LEASE_SECONDS": LEASE, "PORTAL_OPENCRVS_GENERATION": "v1.9"}
INTEROP = "/api/opencrvs/registration"


class WorkerKilled(BaseException):
    """The worker process dies here (SIGKILL): none of the portal's `except Exception` clauses runs, nothing more is
    committed, and the job keeps its lease until it expires."""


@pytest.fixture
def world(make_app, request):
    with ExitStack() as stack:
        yield open_world(stack, make_app, crvs_config={"GENERATION": request.param["generation"]},
                         portal_config=request.param["portal"])


def die_once_after_opencrvs_answered(monkeypatch):
    """The first time the notify step goes on to record its result (the packet's transition, or the timeline row of
    an error sent back), the worker dies: OpenCRVS has answered, the portal has not committed the packet."""
    state = {"killed": False}

    def dying(real):
        def wrapper(packet, *args, **kwargs):  # transition(packet, target, step, …), note(packet, step, …)
            if "opencrvs.notify" in args[:2] and not state["killed"]:
                state["killed"] = True
                raise WorkerKilled()
            return real(packet, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(outcome, "transition", dying(outcome.transition))
    monkeypatch.setattr(outcome, "note", dying(outcome.note))
    return state


def confirmations(world, kinds):
    return [r for r in world.crvs_received() if r["kind"] in kinds]


CASES = [
    pytest.param({"generation": "v1", "portal": V1}, "birth", ("mediator",), id="v1-birth-token"),
    pytest.param({"generation": "v1.9", "portal": V19}, "birth", ("register.accept",), id="v1.9-birth-nid"),
    pytest.param({"generation": "v1.9", "portal": V19}, "rejected", ("register.reject", "reject.request"),
                 id="v1.9-mosip-error"),
]


@pytest.mark.parametrize("world, case, kinds", CASES, indirect=["world"])
def test_a_confirmation_opencrvs_answered_is_not_sent_again_when_the_worker_died_before_saving(
        world, monkeypatch, case, kinds):
    killed = die_once_after_opencrvs_answered(monkeypatch)
    if world.app.config["PORTAL_OPENCRVS_GENERATION"] == "v1.9":
        world.subscribe(crvs=False)
        if case == "rejected":
            world.mosip_rules(reject_rate=1.0)
        world.emit("birth", generation="v1.9", url=f"{world.portal.url}{INTEROP}")
    else:
        world.subscribe()
        world.emit("birth")
    with pytest.raises(WorkerKilled):
        world.drive(lambda packets: False, timeout=20)
    assert killed["killed"] and len(confirmations(world, kinds)) == len(kinds)  # OpenCRVS took it once

    time.sleep(LEASE + 0.2)  # the dead worker's lease expires; another worker takes the job
    if case == "rejected":
        packet = world.drive(lambda ps: ps[0].state == "rejected" and ps[0].error_notified)[0]
    else:
        packet = world.drive(lambda ps: ps[0].state == "notified")[0]

    sent = confirmations(world, kinds)
    assert sorted(r["kind"] for r in sent) == sorted(kinds)  # once each, not twice
    if case == "birth":
        token = sent[0]["body"].get("MOSIP_PSUT_TOKEN_ID") or sent[0]["body"]["declaration"]["child.nid"]
        assert token == packet.uin_token
