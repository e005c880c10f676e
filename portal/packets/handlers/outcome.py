"""`opencrvs.notify`: the packet's outcome (UIN token, deactivation or MOSIP's error) back to OpenCRVS."""

from portal import jobs
from portal.clients import peer
from portal.clients.opencrvs import Outcome, OutcomeNotSentError
from portal.messages import message
from portal.packets import states
from portal.packets.pipeline import note, transition

from .step import run_step


def outcome_for(packet):
    """The Outcome the OpenCRVS client sends for this packet (UIN token, deactivation or error)."""
    common = {"kind": packet.kind, "registration_number": packet.registration_number, "mosip_aid": packet.rid,
              "opencrvs_event_id": packet.opencrvs_event_id, "action_id": packet.action_id,
              "transaction_id": f"mosip-interop-{packet.id}-{packet.retries}"}
    if packet.state == states.REJECTED:
        return Outcome(error_code=packet.error_code or "REJECTED",
                       error_message=packet.error_message or "Rejected by MOSIP", **common)
    if packet.kind == "death":
        return Outcome(comment="NID deactivated", **common)
    return Outcome(uin_token=packet.uin_token, **common)


@jobs.handler("opencrvs.notify")
def notify(payload):
    def body(packet, attempt):
        if packet.state == states.REJECTED and packet.error_notified:
            return
        try:
            peer("opencrvs").send_outcome(outcome_for(packet))
            done = message("packet.error_sent" if packet.state == states.REJECTED else "packet.outcome_sent")
        except OutcomeNotSentError as exc:  # this OpenCRVS generation has no way to take it: say so, and stop
            done = message("packet.outcome_not_sent", reason=str(exc))
        if packet.state == states.REJECTED:
            packet.error_notified = True
            note(packet, "opencrvs.notify", done, attempt)
        else:
            transition(packet, "notified", "opencrvs.notify", done, attempt, attempts=attempt)

    run_step(payload, "opencrvs.notify", body)
