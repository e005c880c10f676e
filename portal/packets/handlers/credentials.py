"""The credential steps: `mosip.credential` (a stored CREDENTIAL_ISSUED gives its packet the UIN token, or is kept
`unmatched`), `mosip.credential_match` (an unmatched one matched again later) and `mosip.credential_fallback`
(no credential came: the UIN from MOSIP's identity repository, and the unmatched credential of that UIN)."""

import logging

from flask import current_app
from sqlalchemy import select

from portal import jobs, messages
from portal.clients import mosip as m, peer
from portal.clients.errors import PeerError, PermanentPeerError, TransientPeerError
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.models import InboundEvent
from portal.packets.pipeline import enqueue_next, is_update, note, poll_delay, setting, transition

from .matching import UNMATCHED, UNMATCHED_SCAN, _how, credential_keys, match_packet, uin_digest, unmatched_detail
from .packet import UinUnknownError, _update_uin
from .step import STEP_STATES, _describe, _event, run_step

log = logging.getLogger(__name__)


def _returned_id(packet, credential):
    """What goes back to OpenCRVS for a birth: the partner-specific UIN token (default), the VID or the UIN;
    and a Message naming which."""
    mode = setting("PORTAL_MOSIP_RETURN_ID")
    if mode == "vid" and credential.vid:
        return credential.vid, message("packet.returning_vid")
    uin = credential.uin or peer("mosip").identity_uin(packet.rid)
    if uin is None:
        if credential.vid:
            return credential.vid, message("packet.returning_vid_no_uin")
        raise PermanentPeerError(message("packet.no_uin_nor_vid"), peer="mosip", code="NO_UIN")
    if mode == "uin":
        return uin, message("packet.returning_uin")
    partner = setting("PORTAL_MOSIP_TOKEN_PARTNER") or current_app.config["PORTAL_MOSIP_PARTNER_ID"]
    return peer("mosip").uin_token(uin, partner, intermediary=setting("PORTAL_MOSIP_TOKEN_INTERMEDIARY")), \
        message("packet.returning_token", partner=partner)


def _issue(packet, credential, attempt, how):
    """`how` names the way the UIN came: a message key, or a Message."""
    value, what = _returned_id(packet, credential)
    how = how if isinstance(how, messages.Message) else message(how)
    transition(packet, "uin_issued", "mosip.credential", message("packet.uin_issued", how=how, what=what),
               attempt, uin_token=value[:128])
    enqueue_next(packet)




def _schedule_match(inbound, round_):
    key = f"mosip.credential_match:{inbound.id}:{round_}"
    jobs.enqueue("mosip.credential_match", {"inbound_id": inbound.id, "round": round_}, key=key,
                 delay=poll_delay(round_))


def _keep_unmatched(inbound, keys, round_):
    inbound.status, inbound.packet_id, inbound.detail = UNMATCHED, None, unmatched_detail(keys)
    _schedule_match(inbound, round_)
    db.session.commit()
    log.warning("credential for no known packet kept", extra={
        "inbound_id": inbound.id, "round": round_, "keys": sorted(k for k, v in keys.items() if v)})


@jobs.handler("mosip.credential")
def receive_credential(payload):
    """A stored CREDENTIAL_ISSUED event: decrypt it, find its packet and give it the UIN (token); one that names
    no packet the portal knows is kept `unmatched` and matched again later."""
    inbound = db.session.get(InboundEvent, payload["inbound_id"])
    if inbound is None or inbound.status in ("processed", "ignored"):
        return
    try:
        event = m.parse_credential_event(inbound.payload)
    except ValueError as exc:
        inbound.status, inbound.detail = "error", str(exc)[:500]
        db.session.commit()
        raise PermanentPeerError(f"unusable WebSub event: {exc}", peer="mosip", code="BAD_EVENT") from None
    try:
        credential = peer("mosip").credential_from_event(event)
    except PeerError as exc:
        if exc.permanent:
            detail = _describe(exc)
            inbound.status, inbound.detail = "error", str(detail)
            packet, _ = match_packet(credential_keys(event))
            if packet is not None:
                inbound.packet_id = packet.id
                note(packet, "mosip.credential", message("packet.credential_unusable", detail=detail))
            db.session.commit()
        raise
    keys = credential_keys(event, credential)
    inbound.match_keys = keys
    packet, matched_by = match_packet(keys)
    if packet is None:
        _keep_unmatched(inbound, keys, int(payload.get("round") or 0))
        return
    inbound.packet_id = packet.id
    resume = states.resume_state(packet.state, packet.retry_from)
    if resume == "packet_created":  # the credential overtook our own commit of the trigger: try again soon
        db.session.commit()
        raise TransientPeerError("credential arrived before the packet was marked triggered", peer="mosip")
    if resume not in STEP_STATES["mosip.credential"]:
        inbound.status, inbound.detail = "processed", f"packet already {packet.state}"
        db.session.commit()
        return
    inbound.detail = None
    db.session.commit()

    def body(packet, attempt):
        if packet.kind == "death":
            transition(packet, "deactivated", "mosip.credential", message("packet.death_processed"), attempt)
            enqueue_next(packet)
        else:
            _issue(packet, credential, attempt, _how(matched_by))

    run_step({"packet_id": packet.id, "job_key": payload.get("job_key")}, "mosip.credential", body)
    inbound = db.session.get(InboundEvent, payload["inbound_id"])
    inbound.status = "processed"
    db.session.commit()


@jobs.handler("mosip.credential_match")
def match_credential(payload):
    """An unmatched credential, matched again on the identifiers it named (its packet may have arrived since);
    found: processed as a new delivery; not found: tried again later, up to PORTAL_PACKETS_POLL_MAX rounds, and
    kept (and listed) after that."""
    inbound = db.session.get(InboundEvent, payload["inbound_id"])
    if inbound is None or inbound.status != UNMATCHED:
        return
    round_ = int(payload.get("round") or 0)
    packet, _ = match_packet(inbound.match_keys or {})
    if packet is None:
        if round_ + 1 < int(setting("PORTAL_PACKETS_POLL_MAX")):
            _schedule_match(inbound, round_ + 1)
        else:
            inbound.detail = (unmatched_detail(inbound.match_keys or {})
                              + "; no longer looked for: a packet whose RID has the same UIN still claims it")[:2000]
        db.session.commit()
        return
    inbound.status, inbound.packet_id = "accepted", packet.id
    key = f"mosip.credential:{inbound.id}:match{round_}"
    jobs.enqueue("mosip.credential", {"inbound_id": inbound.id, "job_key": key, "round": round_ + 1}, key=key)
    db.session.commit()
    log.info("unmatched credential found its packet", extra={"inbound_id": inbound.id, "packet_id": packet.id})


def _claim_unmatched(uin):
    """The unmatched credential of this UIN, if one came: (inbound, its credential decrypted again, or None when
    that fails now, e.g. an expired data share)."""
    digest = uin_digest(uin)
    rows = db.session.execute(
        select(InboundEvent).where(InboundEvent.channel == "mosip", InboundEvent.status == UNMATCHED)
        .order_by(InboundEvent.received_at.desc()).limit(UNMATCHED_SCAN)).scalars()
    for inbound in rows:
        if (inbound.match_keys or {}).get("uin") == digest:
            try:
                credential = peer("mosip").credential_from_event(m.parse_credential_event(inbound.payload))
            except (ValueError, PeerError):
                credential = None
            return inbound, credential
    return None, None


@jobs.handler("mosip.credential_fallback")
def credential_fallback(payload):
    """UIN_GENERATED but no credential after the grace period: the UIN from the identity repository; a credential
    that came for no known packet with this same UIN is this packet's (and gives its VID too)."""
    def body(packet, attempt):
        uin = peer("mosip").identity_uin(packet.rid)
        if uin is None and is_update(packet):  # an update made no identity of its own: the birth's UIN
            try:
                uin, _ = _update_uin(packet, _event(packet))
            except UinUnknownError as exc:
                raise PermanentPeerError(exc.reason, peer="mosip", code=exc.code) from None
        if uin is None:
            raise PermanentPeerError(message("packet.idrepo_has_no_uin"), peer="mosip", code="IDR-IDC-007")
        inbound, credential = _claim_unmatched(uin)
        if inbound is not None:
            inbound.status, inbound.packet_id = "processed", packet.id
            inbound.detail = f"matched to packet {packet.id}: the identity repository gives its RID the same UIN"
            if credential is not None and credential.uin == uin:
                _issue(packet, credential, attempt, _how("uin"))
                return
        _issue(packet, m.Credential(packet.rid, uin, None, {}, {}), attempt, "packet.by_idrepo")

    run_step(payload, "mosip.credential_fallback", body)
