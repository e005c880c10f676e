"""Which packet a MOSIP CREDENTIAL_ISSUED is for: the identifiers it names (`credential_keys`, a digest of the UIN,
never the UIN), `match_packet`, and the words kept with a credential that matched none."""

import hashlib
import hmac

from flask import current_app
from sqlalchemy import or_, select

from portal.clients import mosip as m
from portal.clients.opencrvs import webhook
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.models import Packet

from .step import STEP_STATES

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
