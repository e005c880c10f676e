"""The packet state machine of DESIGN.md "Packet states" (pure)."""

from itertools import pairwise

import pytest

from portal.packets import states
from portal.packets.states import InvalidTransitionError, allowed, check, next_step

BIRTH = ["received", "packet_created", "synced", "processing", "uin_issued", "notified"]
DEATH = ["received", "deactivation_requested", "deactivated", "notified"]


@pytest.mark.parametrize("kind,path", [("birth", BIRTH), ("death", DEATH)])
def test_the_happy_path_is_allowed_step_by_step(kind, path):
    for current, target in pairwise(path):
        assert check(kind, current, target) is None


@pytest.mark.parametrize("kind,path", [("birth", BIRTH), ("death", DEATH)])
def test_every_non_terminal_step_may_retry_or_fail(kind, path):
    for state in path[:-1]:
        assert {"retrying", "failed"} <= allowed(kind, state)
        assert check(kind, state, "retrying") == state  # remembers where to go back
        assert check(kind, state, "failed") == state


def test_retrying_goes_back_to_its_step_or_moves_on():
    assert allowed("birth", "retrying", "packet_created") == {"packet_created", "synced", "retrying", "failed",
                                                               "rejected"}
    assert check("birth", "retrying", "retrying", "synced") == "synced"
    assert check("birth", "retrying", "failed", "synced") == "synced"


def test_a_birth_may_skip_processing_when_the_credential_comes_first():
    assert "uin_issued" in allowed("birth", "synced")


@pytest.mark.parametrize("kind,state,target", [
    ("birth", "received", "synced"),
    ("birth", "received", "uin_issued"),
    ("birth", "packet_created", "notified"),
    ("birth", "uin_issued", "rejected"),
    ("birth", "received", "deactivation_requested"),
    ("death", "received", "packet_created"),
    ("death", "deactivated", "rejected"),
    ("birth", "notified", "retrying"),
    ("birth", "rejected", "retrying"),
    ("birth", "processing", "nonsense"),
])
def test_transitions_design_md_does_not_allow(kind, state, target):
    with pytest.raises(InvalidTransitionError):
        check(kind, state, target)


def test_mosip_can_reject_only_before_the_uin_is_issued():
    for state in ("received", "packet_created", "synced", "processing"):
        assert "rejected" in allowed("birth", state)
    assert "rejected" in allowed("death", "deactivation_requested")
    assert "rejected" not in allowed("birth", "uin_issued")


def test_a_supervisor_may_retry_or_reject_a_failed_packet():
    assert allowed("birth", "failed", "synced") == {"retrying", "rejected"}
    assert check("birth", "failed", "retrying", "synced") == "synced"


def test_terminal_states_go_nowhere():
    assert allowed("birth", "notified") == set() and allowed("death", "rejected") == set()
    assert states.is_terminal("notified") and not states.is_terminal("failed")


def test_next_step_follows_the_state_or_the_state_a_retry_resumes():
    assert next_step("birth", "received") == "mosip.create_packet"
    assert next_step("birth", "retrying", "packet_created") == "mosip.trigger"
    assert next_step("birth", "synced") == "mosip.status"
    assert next_step("birth", "uin_issued") == "opencrvs.notify"
    assert next_step("death", "received") == "mosip.deactivate"
    assert next_step("death", "failed", "deactivated") == "opencrvs.notify"
    assert next_step("birth", "notified") is None


def test_states_are_spelled_as_in_design_md():
    assert set(states.STATES) == {"received", "packet_created", "synced", "processing", "uin_issued", "notified",
                                  "deactivation_requested", "deactivated", "retrying", "failed", "rejected"}


def test_unknown_kind():
    with pytest.raises(ValueError):
        allowed("marriage", "received")
