"""What every pipeline step shares: the states each step runs from, `run_step` (runs a step for its packet and turns
a failure into `retrying`/`failed`), and the OpenCRVS event a packet came from."""

import logging

from sqlalchemy import select

from portal import jobs, messages
from portal.clients.errors import PeerError
from portal.clients.opencrvs import interop, webhook
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.models import InboundEvent, Packet
from portal.packets.pipeline import StaleStateError, note, transition

log = logging.getLogger(__name__)

# The states (or the state a retrying/failed packet resumes from) each step runs from.
STEP_STATES = {
    "mosip.create_packet": {"received"},
    "mosip.trigger": {"packet_created"},
    "mosip.status": {"synced", "processing", "deactivation_requested"},
    "mosip.credential_fallback": {"synced", "processing"},
    "mosip.deactivate": {"received", "deactivation_requested"},
    "mosip.credential": {"synced", "processing", "deactivation_requested"},
    "opencrvs.notify": {"uin_issued", "deactivated", states.REJECTED},
}


def _job(payload):
    key = payload.get("job_key")
    return jobs.Job.query.filter_by(key=key).first() if key else None


def _describe(exc):
    """What went wrong, in words fit for the timeline (peer messages name codes and fields, not people)."""
    if isinstance(exc, PeerError):
        return messages.reason(exc, limit=500)
    return message("packet.unexpected_error", error=type(exc).__name__)


def run_step(payload, step, body):
    """Run `body(packet, attempt)` for the packet in `payload` if it is still at this step, and turn a
    failure into the packet's `retrying`/`failed` state before the queue sees it."""
    packet = db.session.get(Packet, payload["packet_id"])
    if packet is None:
        return
    job = _job(payload)
    attempt = job.attempts if job else 1
    if states.resume_state(packet.state, packet.retry_from) not in STEP_STATES[step]:
        log.info("packet step skipped", extra={"packet_id": packet.id, "step": step, "state": packet.state})
        return
    try:
        if packet.state == states.FAILED:  # retried from the jobs page
            transition(packet, states.RETRYING, step, message("packet.retried_from_jobs"), attempt)
        body(packet, attempt)
        db.session.commit()
    except StaleStateError:
        db.session.rollback()
        log.info("packet moved on meanwhile", extra={"packet_id": payload["packet_id"], "step": step})
    except Exception as exc:
        db.session.rollback()
        _record_failure(payload["packet_id"], step, exc, attempt, job)
        raise


def _record_failure(packet_id, step, exc, attempt, job):
    packet = db.session.get(Packet, packet_id)
    last = getattr(exc, "permanent", False) or (job is not None and job.attempts >= job.max_attempts)
    detail = _describe(exc)
    try:
        if packet.state in states.TERMINAL:  # e.g. sending a rejection back failed: the job retries
            note(packet, step, message("packet.attempt_failed", attempt=attempt, detail=detail), attempt)
        elif last:
            transition(packet, states.FAILED, step, detail, attempt, attempts=attempt,
                       error_code=(getattr(exc, "code", None) or type(exc).__name__)[:64], error_message=detail)
        else:
            transition(packet, states.RETRYING, step,
                       message("packet.attempt_failed_will_retry", attempt=attempt, detail=detail), attempt,
                       attempts=attempt)
        db.session.commit()
    except StaleStateError:
        db.session.rollback()
    log.warning("packet step failed", extra={"packet_id": packet_id, "step": step, "attempt": attempt,
                                             "error": type(exc).__name__, "final": last})


def _event(packet):
    """The OpenCRVS event the packet came from, parsed again from the stored delivery."""
    inbound = db.session.execute(
        select(InboundEvent).filter_by(channel="opencrvs", key=packet.event_key)).scalar_one()
    if packet.source == "interop":
        claims = {"eventId": packet.opencrvs_event_id, "actionId": packet.action_id}
        return interop.parse_interop_registration(inbound.payload, claims)
    return webhook.parse_event(inbound.payload)
