"""`mosip.deactivate`: a death becomes a CRVS_DEATH packet and its workflow, or (`PORTAL_MOSIP_DEATH_MODE=idrepo`)
a deactivation PATCHed into MOSIP's identity repository."""

from portal import jobs
from portal.clients import peer
from portal.clients.errors import PermanentPeerError
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.pipeline import enqueue_next, note, setting, transition

from .packet import _ensure_rid, _send_packet
from .step import _event, run_step
from .workflow import _trigger


@jobs.handler("mosip.deactivate")
def deactivate(payload):
    def body(packet, attempt):
        event = _event(packet)
        uin = event.deceased_national_id
        if not uin:
            transition(packet, states.REJECTED, "mosip.deactivate", message("packet.no_national_id"), attempt,
                       error_code="NO_NATIONAL_ID", error_message=message("packet.no_national_id_to_deactivate"))
            enqueue_next(packet)
            return
        _ensure_rid(packet, attempt)
        if setting("PORTAL_MOSIP_DEATH_MODE") == "idrepo":
            _deactivate_in_idrepo(packet, uin, attempt)
            return
        if states.resume_state(packet.state, packet.retry_from) == "deactivation_requested":
            return  # the death packet is in; its status job follows it
        _send_packet(packet, attempt)
        note(packet, "mosip.create_packet",
             message("packet.death_packet_created", process=packet.process, source=packet.mosip_source), attempt)
        _trigger(packet, attempt, target="deactivation_requested")

    run_step(payload, "mosip.deactivate", body)


def _deactivate_in_idrepo(packet, uin, attempt):
    if packet.state != "deactivation_requested":
        transition(packet, "deactivation_requested", "mosip.deactivate", message("packet.deactivation_sent"), attempt)
        db.session.commit()
    try:
        peer("mosip").deactivate_uin(uin, packet.rid)
    except PermanentPeerError as exc:
        if exc.code == "IDR-IDC-007":
            transition(packet, states.REJECTED, "mosip.deactivate", message("packet.deceased_uin_unknown"), attempt,
                       error_code=exc.code, error_message=message("packet.deceased_uin_not_found"))
            enqueue_next(packet)
            return
        raise
    transition(packet, "deactivated", "mosip.deactivate", message("packet.deactivated_in_idrepo"), attempt)
    enqueue_next(packet)
