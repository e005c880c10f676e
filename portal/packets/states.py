"""Packet states and transitions, exactly as DESIGN.md "Packet states" (pure: no Flask, no database).

    births: received → packet_created → synced → processing → uin_issued → notified
    deaths: received → deactivation_requested → deactivated → notified

Any step may go to `retrying` (back to its step: the packet remembers the state it left in `retry_from`,
and returns to it, or moves on, when the step succeeds) or end `failed` (dead: the step cannot succeed without
help) or `rejected` (MOSIP said no; the error goes back to OpenCRVS). Two forward shortcuts exist because
MOSIP can be faster than our polling: a birth may go from `synced` straight to `uin_issued` (the credential
arrived before we saw PROCESSING). A supervisor may retry a failed packet (`failed → retrying`) or reject it
with a reason (`failed → rejected`).
"""

BIRTH_PATH = ("received", "packet_created", "synced", "processing", "uin_issued", "notified")
DEATH_PATH = ("received", "deactivation_requested", "deactivated", "notified")
RETRYING, FAILED, REJECTED = "retrying", "failed", "rejected"
STATES = tuple(dict.fromkeys(BIRTH_PATH + DEATH_PATH + (RETRYING, FAILED, REJECTED)))
TERMINAL = frozenset({"notified", REJECTED})
# States in which MOSIP can still say no (before the UIN is issued / the deactivation confirmed).
REJECTABLE = frozenset({"received", "packet_created", "synced", "processing", "deactivation_requested"})

FORWARD = {
    "birth": {
        "received": {"packet_created"},
        "packet_created": {"synced"},
        "synced": {"processing", "uin_issued"},
        "processing": {"uin_issued"},
        "uin_issued": {"notified"},
    },
    "death": {
        "received": {"deactivation_requested"},
        "deactivation_requested": {"deactivated"},
        "deactivated": {"notified"},
    },
}


class InvalidTransitionError(ValueError):
    """A transition DESIGN.md does not allow."""


def path(kind):
    if kind == "birth":
        return BIRTH_PATH
    if kind == "death":
        return DEATH_PATH
    raise ValueError(f"kind must be birth or death, not {kind!r}")


def allowed(kind, state, retry_from=None):
    """The states a packet of `kind` in `state` may move to."""
    path(kind)
    if state in TERMINAL:
        return set()
    if state == FAILED:
        return {RETRYING, REJECTED}
    resume = retry_from if state == RETRYING else state
    if resume not in FORWARD[kind] and resume not in path(kind):
        raise InvalidTransitionError(f"{state!r} (from {retry_from!r}) is not a {kind} state")
    targets = set(FORWARD[kind].get(resume, set())) | {RETRYING, FAILED}
    if state == RETRYING:
        targets.add(resume)  # the step succeeded without moving the packet on (e.g. still PROCESSING)
    if resume in REJECTABLE:
        targets.add(REJECTED)
    return targets


def check(kind, state, target, retry_from=None):
    """Raise InvalidTransitionError unless `state → target` is allowed; returns the new `retry_from`."""
    if target not in STATES:
        raise InvalidTransitionError(f"unknown state {target!r}")
    if target not in allowed(kind, state, retry_from):
        raise InvalidTransitionError(f"{kind} packet cannot go from {state!r} to {target!r}")
    if target in (RETRYING, FAILED):
        # remember where to resume: the state the step started from
        return retry_from if state in (RETRYING, FAILED) else state
    return None


def resume_state(state, retry_from):
    """The state whose step runs next: the packet's own, or the one it left for retrying/failed."""
    return retry_from if state in (RETRYING, FAILED) and retry_from else state


def is_terminal(state):
    return state in TERMINAL


# Which pipeline step moves a packet on from each state (the job kinds in handlers/).
NEXT_STEP = {
    "birth": {
        "received": "mosip.create_packet",
        "packet_created": "mosip.trigger",
        "synced": "mosip.status",
        "processing": "mosip.status",
        "uin_issued": "opencrvs.notify",
    },
    "death": {
        "received": "mosip.deactivate",
        "deactivation_requested": "mosip.status",
        "deactivated": "opencrvs.notify",
    },
}


def next_step(kind, state, retry_from=None):
    """The job kind that moves the packet on, or None (terminal, or waiting for MOSIP's WebSub)."""
    return NEXT_STEP[kind].get(resume_state(state, retry_from))
