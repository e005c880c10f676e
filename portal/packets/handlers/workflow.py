"""`mosip.trigger` (the packet's workflow instance) and `mosip.status` (MOSIP's external status, polled with backoff
until it is processing, done or rejected)."""

from portal import jobs
from portal.clients import mosip as m, peer
from portal.clients.errors import PermanentPeerError
from portal.messages import message
from portal.packets import states
from portal.packets.pipeline import enqueue_next, enqueue_step, note, poll_delay, setting, transition

from .step import _event, run_step


def _notification(event):
    info = (event.payload or {}).get("notification") if event.source == "interop" else None
    if not isinstance(info, dict):
        return {"name": "", "phone": "", "email": ""}
    return {"name": info.get("recipientFullName") or "", "phone": info.get("recipientPhone") or "",
            "email": info.get("recipientEmail") or ""}


@jobs.handler("mosip.trigger")
def trigger(payload):
    def body(packet, attempt):
        _trigger(packet, attempt, target="synced")

    run_step(payload, "mosip.trigger", body)


def _trigger(packet, attempt, target):
    event = _event(packet)
    workflow = peer("mosip").create_workflow_instance(packet.rid, packet.process, packet.mosip_source,
                                                notification=_notification(event))
    detail = message("packet.triggered_again" if workflow.already_present else "packet.triggered")
    transition(packet, target, "mosip.trigger", detail, attempt, attempts=attempt,
               workflow_instance_id=workflow.workflow_instance_id or packet.workflow_instance_id)
    enqueue_next(packet, delay=poll_delay(0))


@jobs.handler("mosip.status")
def follow_status(payload):
    run_step(payload, "mosip.status", _poll)


def _poll(packet, attempt):
    result = peer("mosip").external_status([packet.rid])
    status = result.statuses.get(packet.rid)
    packet.polls += 1
    packet.mosip_status = status
    resume = states.resume_state(packet.state, packet.retry_from)
    if status in m.REJECTED_STATUSES:
        transition(packet, states.REJECTED, "mosip.status", message("packet.mosip_status", status=status), attempt,
                   error_code=status, error_message=message("packet.mosip_refused", status=status))
        enqueue_next(packet)
        return
    if status in m.DONE_STATUSES:
        if packet.kind == "death":
            transition(packet, "deactivated", "mosip.status", message("packet.mosip_deactivated", status=status),
                       attempt)
            enqueue_next(packet)
        else:
            # The UIN comes with the WebSub credential; if it never does, read it from the identity repository.
            note(packet, "mosip.status", message("packet.mosip_waiting_credential", status=status), attempt)
            enqueue_step("mosip.credential_fallback", packet, delay=float(setting("PORTAL_PACKETS_CREDENTIAL_GRACE")))
        return
    if status is None and packet.polls > int(setting("PORTAL_PACKETS_NOT_FOUND_MAX")):
        raise PermanentPeerError(message("packet.rid_unknown"), peer="mosip", code="RPR-RGS-031")
    if packet.polls > int(setting("PORTAL_PACKETS_POLL_MAX")):
        raise PermanentPeerError(message("packet.poll_limit", polls=packet.polls - 1), peer="mosip",
                                 code="POLL_LIMIT")
    shown = status or message("packet.status_not_known")
    if packet.kind == "birth" and resume == "synced" and status in m.PROCESSING_STATUSES:
        transition(packet, "processing", "mosip.status", message("packet.mosip_status", status=shown), attempt)
    elif packet.state == states.RETRYING:
        transition(packet, resume, "mosip.status", message("packet.mosip_status_again", status=shown), attempt)
    enqueue_step("mosip.status", packet, delay=poll_delay(packet.polls), extra=packet.polls)

