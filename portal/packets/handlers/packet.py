"""`mosip.create_packet`: the packet's RID (made once), the createPacket DTO and the call; a birth correction first
finds the UIN of the identity it updates (`_update_uin`, also used by the credential fallback)."""

import logging

from flask import current_app

from portal import jobs
from portal.clients import mosip as m, peer
from portal.clients.errors import TransientPeerError
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.pipeline import enqueue_next, is_update, note, registration_of, setting, transition

from .step import _event, run_step

log = logging.getLogger(__name__)

NO_UIN_KNOWN = message("packet.no_uin_known").text  # the English text, as it goes back to OpenCRVS


class UinUnknownError(Exception):
    """A correction whose identity the portal cannot name: the packet fails with `reason` (a Message)."""

    def __init__(self, reason, code="NO_UIN_KNOWN"):
        super().__init__(reason)
        self.reason, self.code = reason, code


class WaitingForBirthError(TransientPeerError):
    """The record's birth packet is still on its way to a UIN: the correction retries later."""


def _ensure_rid(packet, attempt):
    """The packet's RID, made once and committed before any packet call so every retry reuses it.
    An OpenCRVS record that already carries a 29-digit MOSIP AID keeps it (the legacy mediator's rule)."""
    if packet.rid:
        return packet.rid
    config = current_app.config
    centre, machine = config["PORTAL_MOSIP_CENTRE_ID"], config["PORTAL_MOSIP_MACHINE_ID"]
    if packet.mosip_aid and m.is_valid_rid(packet.mosip_aid) and not is_update(packet):
        # (a correction's MOSIP AID is the birth's RID: the update packet needs a RID of its own)
        rid, how = packet.mosip_aid, "packet.rid_from_aid"
    elif setting("PORTAL_MOSIP_RID_MODE") == "local":
        rid, how = m.build_rid(centre, machine, packet.id), "packet.rid_local"
    else:
        rid, how = peer("mosip").generate_rid(centre, machine), "packet.rid_from_mosip"
    packet.rid = rid
    note(packet, "mosip.rid", message("packet.rid", rid=rid, how=message(how)), attempt)
    db.session.commit()
    return rid


def _packet_dto(packet, event, schema, fields):
    config = current_app.config
    centre, machine = config["PORTAL_MOSIP_CENTRE_ID"], config["PORTAL_MOSIP_MACHINE_ID"]
    labels = {"opencrvsBRN": packet.registration_number} if packet.registration_number else {}
    registration_type = "UPDATE" if is_update(packet) else "NEW"
    meta = dict(event.meta_info) if event.meta_info else m.build_meta_info(
        packet.rid, centre, machine, registration_type=registration_type, extra_labels=labels)
    meta["registrationId"] = packet.rid
    from portal.packets.pipeline import deterministic_uuid

    audit_entry = (dict(event.audit) if event.audit
                   else m.build_audit(packet.rid, uuid=deterministic_uuid(packet, "audit")))
    return m.build_packet_dto(packet.rid, process=packet.process, source=packet.mosip_source, fields=fields,
                              schema_json=schema.schema_json, schema_version=schema.id_version,
                              ref_id=f"{centre}_{machine}", meta_info=meta, audits=[audit_entry])


def _send_packet(packet, attempt, event=None, uin=None):
    event = event or _event(packet)
    schema = peer("mosip").id_schema()
    if event.request_fields is None:
        fields = event.fields(id_schema_version=schema.id_version)
    else:  # OpenCRVS v1.9 built the fields itself; the schema version is ours to add when it left it out
        fields = event.fields()
        fields.setdefault("IDSchemaVersion", schema.id_version)
    if uin:  # an update names the identity it changes (MOSIP's UPDATE / CRVS_UPDATE need `UIN`)
        fields["UIN"] = uin
    peer("mosip").create_packet(_packet_dto(packet, event, schema, fields))
    return event


def _state(code):
    """A packet state inside a message, as a nested message: a page shows its label in the reader's language."""
    return message(f"packet.state.{code}")


def _update_uin(packet, event):
    """The UIN a correction updates: that of the identity the record's earlier birth packet made.

    The portal keeps no raw UIN (only what went back to OpenCRVS, the partner token by default), so it asks
    MOSIP's identity repository for the identity of that packet's RID, as the credential fallback does;
    with `PORTAL_MOSIP_RETURN_ID=uin` what went back is the UIN itself. Returns (uin, birth packet).
    Raises UinUnknownError (no such packet, or it ended without a UIN) or WaitingForBirthError (it has none yet)."""
    record_id = event.record.record_id if event.record is not None else None
    birth = registration_of(packet, record_id)
    if birth is None:
        raise UinUnknownError(message("packet.no_uin_known"))
    if not birth.uin_token or not birth.rid:
        if birth.state in (states.REJECTED, states.FAILED):
            raise UinUnknownError(message("packet.birth_ended_without_uin", packet=birth.id, state=_state(birth.state)))
        raise WaitingForBirthError(message("packet.birth_waiting", packet=birth.id, state=_state(birth.state)),
                              peer="portal", code="UIN_PENDING")
    if setting("PORTAL_MOSIP_RETURN_ID") == "uin":
        return birth.uin_token, birth
    uin = peer("mosip").identity_uin(birth.rid)
    if uin is None:
        raise UinUnknownError(message("packet.birth_rid_unknown", rid=birth.rid), code="IDR-IDC-007")
    return uin, birth


@jobs.handler("mosip.create_packet")
def create_packet(payload):
    def body(packet, attempt):
        event, uin, birth = None, None, None
        if is_update(packet):
            event = _event(packet)
            try:
                uin, birth = _update_uin(packet, event)
            except UinUnknownError as exc:
                transition(packet, states.FAILED, "mosip.create_packet", exc.reason, attempt, attempts=attempt,
                           error_code=exc.code, error_message=exc.reason)
                log.warning("correction without a known UIN", extra={"packet_id": packet.id, "code": exc.code})
                return
        _ensure_rid(packet, attempt)
        _send_packet(packet, attempt, event, uin)
        if birth is not None:
            how = "packet.uin_as_returned" if setting("PORTAL_MOSIP_RETURN_ID") == "uin" else "packet.uin_from_idrepo"
            note(packet, "mosip.create_packet",
                 message("packet.updates_identity", packet=birth.id, rid=birth.rid, how=message(how)), attempt)
        transition(packet, "packet_created", "mosip.create_packet",
                   message("packet.created_in_mosip", process=packet.process, source=packet.mosip_source), attempt,
                   attempts=attempt)
        enqueue_next(packet)

    run_step(payload, "mosip.create_packet", body)
