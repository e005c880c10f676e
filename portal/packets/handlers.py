"""The pipeline's jobs, one per step, each idempotent (a retry or a second worker does no harm):

* `mosip.create_packet`  birth: RID (kept once made), then `createPacket` (MOSIP overwrites the same id)
                         → packet_created. A birth correction (BIRTH_CORRECTED → CRVS_UPDATE) first finds
                         the UIN of the identity the record's earlier birth packet made (MOSIP's identity
                         repository, by that packet's RID) and sends it in `fields.UIN`, as MOSIP's update
                         process requires; without such a packet it fails with a plain reason
* `mosip.trigger`        `workflowinstance` (`RPR-WIS-001` "already present" counts as done) → synced
* `mosip.status`         external status search with backoff: PROCESSING → processing; UIN_GENERATED →
                         wait for the credential (then `mosip.credential_fallback`); REJECTED/REREGISTER →
                         rejected; a death's PROCESSED → deactivated
* `mosip.credential`     a stored CREDENTIAL_ISSUED: decrypt, find its packet (RID, registration number,
                         OpenCRVS id: `match_packet`), UIN → partner token → uin_issued; a credential for no
                         known packet is kept (`unmatched`), shown to supervisors and matched again later
* `mosip.credential_match`  an unmatched credential, matched again on what it named (its packet may have
                         arrived since), on the status-poll schedule
* `mosip.credential_fallback`  the credential never came: the UIN from the identity repository (and an
                         unmatched credential with that same UIN is this packet's)
* `mosip.deactivate`     death: RID, then a CRVS_DEATH packet + workflow (or PATCH the identity repository,
                         `PORTAL_MOSIP_DEATH_MODE=idrepo`) → deactivation_requested (→ deactivated)
* `opencrvs.notify`      the UIN token / deactivation / error back to OpenCRVS → notified
* `mosip.subscribe`      (re)subscribe to `{partner}/CREDENTIAL_ISSUED`, and schedule the renewal

A transient peer error moves the packet to `retrying` (the queue retries with backoff); a permanent one, or
the last attempt, to `failed`; MOSIP's "no" to `rejected`, and the error goes back to OpenCRVS.
Pacing: each client limits the calls in flight per peer (`PORTAL_MOSIP_CONCURRENCY`,
`PORTAL_OPENCRVS_CONCURRENCY`), so a burst of events never has more than that open against a peer.
"""

import hashlib
import hmac
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from portal import jobs, messages
from portal.clients import mosip as m, peer
from portal.clients.errors import PeerError, PermanentPeerError, TransientPeerError
from portal.clients.opencrvs import Outcome, OutcomeNotSentError, interop, webhook
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.models import InboundEvent, Packet, Subscription
from portal.packets.pipeline import (StaleStateError, enqueue_next, enqueue_step, is_update, note,
                                     poll_delay, registration_of, setting, transition)
from portal.timeutil import utcnow

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
NO_UIN_KNOWN = message("packet.no_uin_known").text  # the English text, as it goes back to OpenCRVS


class UinUnknownError(Exception):
    """A correction whose identity the portal cannot name: the packet fails with `reason` (a Message)."""

    def __init__(self, reason, code="NO_UIN_KNOWN"):
        super().__init__(reason)
        self.reason, self.code = reason, code


class WaitingForBirthError(TransientPeerError):
    """The record's birth packet is still on its way to a UIN: the correction retries later."""


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


def _notification(event):
    info = (event.payload or {}).get("notification") if event.source == "interop" else None
    if not isinstance(info, dict):
        return {"name": "", "phone": "", "email": ""}
    return {"name": info.get("recipientFullName") or "", "phone": info.get("recipientPhone") or "",
            "email": info.get("recipientEmail") or ""}


# --- births ---------------------------------------------------------------------------------------------
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


# --- credentials: which packet a CREDENTIAL_ISSUED is for ----------------------------------------------
# Real deployments name the record differently (who sends what: `m.parse_credential_event`). Tried in order:
# the RID (OpenCRVS v1.9's mosip-api: `event.data.registrationId`, the tail of `credentialSubject.id`); the
# OpenCRVS registration number (MOSIP's OpenCRVS stage: `event.data.opencrvsBRN`, the packet's metaInfo label
# the portal writes; v1.9's credential: `credentialSubject.birthCertificateNumber`); `opencrvsId` (the 2022
# name of that number; also tried as a tracking id and an OpenCRVS record id). A credential that names no
# packet the portal knows is never dropped: it is kept `unmatched`, listed on the dashboard, matched again on
# the status-poll schedule, and claimed by the packet whose RID MOSIP's identity repository resolves to the
# credential's UIN (`credential_fallback`).
UNMATCHED = "unmatched"
UNMATCHED_DETAIL = "credential received for no known packet"
MATCH_WAITING = STEP_STATES["mosip.credential"] | {"packet_created"}
KEY_LABELS = {"rid": "RID", "registration_number": "registration number", "opencrvs_id": "OpenCRVS id"}
UNMATCHED_SCAN = 500  # the newest unmatched credentials a packet's identity-repository UIN is compared with


def uin_digest(uin):
    """A keyed digest of a UIN: lets a packet claim the unmatched credential of its UIN, without the portal
    keeping the UIN (the key is the app's SECRET_KEY)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"mosip-uin:" + str(uin).encode(), hashlib.sha256).hexdigest()


def _distinct(values, upper=False):
    out = []
    for value in values:
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            text = str(value).strip()[:64]
            text = text.upper() if upper else text
            if text not in out:
                out.append(text)
    return out


def credential_keys(event, credential=None):
    """What a CREDENTIAL_ISSUED names its record by (`InboundEvent.match_keys`): ids of the record, and a
    digest of the UIN, never the UIN."""
    subject = credential.subject if credential is not None else {}
    keys = {
        "rid": _distinct([event.registration_id, credential.registration_id if credential is not None else None]),
        # OpenCRVS prints (and the portal stores) registration numbers upper-case
        "registration_number": _distinct([event.registration_number, subject.get("birthCertificateNumber"),
                                          subject.get("deathCertificateNumber")], upper=True),
        "opencrvs_id": _distinct([event.opencrvs_id]),
    }
    if credential is not None and credential.uin:
        keys["uin"] = uin_digest(credential.uin)
    return keys


def _best(query):
    """Among packets sharing a number (a birth and its corrections, a record sent twice): the one waiting for
    its credential (MOSIP already said UIN_GENERATED first, then the oldest), else the newest."""
    candidates = db.session.execute(query.order_by(Packet.id)).scalars().all()
    waiting = [p for p in candidates if states.resume_state(p.state, p.retry_from) in MATCH_WAITING]
    done = [p for p in waiting if p.mosip_status in m.DONE_STATUSES]
    return (done or waiting or candidates[::-1] or [None])[0]


def match_packet(keys):
    """(packet, how) for the identifiers of `credential_keys`, or (None, None); `how` names the key that matched."""
    for rid in keys.get("rid") or ():
        packet = db.session.execute(select(Packet).filter_by(rid=rid).limit(1)).scalar()
        if packet is not None:
            return packet, "rid"
    numbers = keys.get("registration_number") or []
    if numbers:
        packet = _best(select(Packet).where(Packet.registration_number.in_(numbers)))
        if packet is not None:
            return packet, "registration_number"
    for value in keys.get("opencrvs_id") or ():
        upper = value.upper()
        packet = _best(select(Packet).where(or_(
            Packet.registration_number == upper, Packet.tracking_id == upper, Packet.opencrvs_event_id == value,
            Packet.event_key.in_([f"{topic}:{value}" for topic in webhook.SUPPORTED_TOPICS]))))
        if packet is not None:
            return packet, "opencrvs_id"
    return None, None


def _how(matched_by):
    if matched_by == "rid":
        return message("packet.by_websub")
    return message("packet.by_websub_via", by=message(f"packet.matched_by.{matched_by}"))


def unmatched_detail(keys):
    """The English line kept with an unmatched credential: what it was looked up by."""
    named = [f"{KEY_LABELS[name]} {value}" for name in KEY_LABELS for value in (keys.get(name) or ())]
    return UNMATCHED_DETAIL + (f" (looked for {', '.join(named)})" if named else " (it names no RID nor number)")


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


# --- deaths ---------------------------------------------------------------------------------------------
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


# --- back to OpenCRVS -----------------------------------------------------------------------------------
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


# --- WebSub subscription --------------------------------------------------------------------------------
def websub_topic(config):
    return f"{config['PORTAL_MOSIP_PARTNER_ID']}/CREDENTIAL_ISSUED"


def websub_callback(config):
    return f"{config['PORTAL_PUBLIC_URL']}/api/mosip/websub"


def subscribe_websub(renew=False):
    """Ask MOSIP's hub for `{partner}/CREDENTIAL_ISSUED` (a renewal unsubscribes first: MOSIP's hub denies a
    second subscription for the same topic and callback); schedules the next renewal before the lease ends."""
    config = current_app.config
    topic, callback = websub_topic(config), websub_callback(config)
    lease = int(setting("PORTAL_MOSIP_WEBSUB_LEASE_SECONDS"))
    row = db.session.execute(
        select(Subscription).filter_by(peer="mosip", topic=topic, callback=callback).limit(1)).scalar()
    if row is None:
        row = Subscription(peer="mosip", topic=topic, callback=callback)
        db.session.add(row)
    row.status, row.reason, row.lease_seconds, row.requested_at = "pending", None, lease, utcnow()
    db.session.commit()  # the hub's intent-verification GET looks for this row
    if renew:
        try:
            peer("mosip").unsubscribe(topic, callback)
        except PermanentPeerError:
            pass  # not subscribed any more: subscribing is all we need
    peer("mosip").subscribe(topic, callback, config["PORTAL_MOSIP_WEBSUB_SECRET"], lease_seconds=lease)
    renew_in = max(60, int(lease * 0.8))
    due = utcnow() + timedelta(seconds=renew_in)
    jobs.enqueue("mosip.subscribe", {"renew": True}, key=f"mosip.subscribe:{due:%Y%m%d%H%M}", delay=renew_in)
    db.session.commit()
    return row


@jobs.handler("mosip.subscribe")
def subscribe_job(payload):
    subscribe_websub(renew=bool(payload.get("renew")))
