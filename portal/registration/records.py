"""Registrations as the officer works on them: drafts, saved values, corrections of MOSIP values, confirmation."""

import logging
import uuid

from flask import abort, g
from sqlalchemy import select

from portal import audit, jobs
from portal.audit import AuditEvent
from portal.clients import peer
from portal.clients.errors import PeerError
from portal.extensions import db
from portal.registration.models import Correction, Registration
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

JOB_KIND = "openimis.register_insuree"
# Form fields kept in Registration.values (text; ids of openIMIS lists as text too).
FIELDS = ("last_name", "other_names", "dob", "gender", "marital", "phone", "email", "type_of_id", "passport",
          "profession", "education", "village", "current_address", "family_mode", "head_chf_id", "relationship",
          "chf_id")
SEES_ALL = ("admin", "supervisor")


def visible_query(user, corrected=False, status=None):
    """Registrations this user may see, newest first: officers their own, admins and supervisors all."""
    query = select(Registration)
    if not user.has_role(*SEES_ALL):
        query = query.where(Registration.created_by == user.username)
    if corrected:
        query = query.where(Registration.has_corrections.is_(True))
    if status:
        query = query.where(Registration.status == status)
    return query.order_by(Registration.id.desc())


def get_visible(registration_id, *, for_edit=False):
    """The registration if this user may see it (404 otherwise, so ids of others' work do not leak)."""
    registration = db.session.get(Registration, registration_id)
    user = g.user
    if registration is None:
        abort(404)
    if registration.created_by != user.username and not user.has_role(*SEES_ALL):
        abort(404)
    if for_edit and registration.created_by != user.username and not user.has_role("admin"):
        abort(403)
    return registration


def new_draft(values=None):
    """A new draft owned by the logged-in officer. The caller commits."""
    registration = Registration(created_by=g.user.username, values={}, verified_values={}, esignet_amr=[],
                                esignet_claims=[], verification_notes=[])
    db.session.add(registration)
    db.session.flush()
    audit.record("registration.started", "registration", registration.id, {"source": "officer"})
    if values:
        save_values(registration, values)
    return registration


def _clean(value):
    return "" if value is None else str(value).strip()


def save_values(registration: Registration, values):
    """Store the form's values; every change to a value that came from MOSIP becomes a Correction.

    Returns the corrections made now. The caller commits.
    """
    if registration.status != "draft":
        abort(409)
    current = dict(registration.values or {})
    made = []
    for name in FIELDS:
        if name not in values:
            continue
        new = _clean(values[name])
        old = _clean(current.get(name))
        if new == old:
            continue
        current[name] = new
        entry = (registration.verified_values or {}).get(name)
        if entry is not None:
            correction = Correction(field=name, claim=entry.get("claim"), mosip_value=entry["value"],
                                    entered_value=new, officer=g.user.username)
            registration.corrections.append(correction)
            made.append(correction)
            # The values stay in the correction row; the audit event names the field and the source.
            audit.record("registration.corrected", "registration", registration.id,
                         {"field": name, "claim": entry.get("claim"), "source": "officer",
                          "back_to_mosip_value": new == entry["value"]})
    registration.values = current
    registration.has_corrections = any(not registration.still_verified(name)
                                       for name in (registration.verified_values or {}) if name != "photo")
    if made:
        log.info("registration corrected", extra={"registration_id": registration.id,
                                                 "fields": ",".join(c.field for c in made)})
    return made


def continue_manually(registration: Registration):
    """The officer goes on without eSignet (down, or the person could not authenticate): "not verified"."""
    if registration.verification != "verified":
        registration.verification = "manual"
        audit.record("registration.manual_entry", "registration", registration.id, {"source": "officer"})


def discard_photo(registration: Registration):
    if registration.photo:
        registration.photo = None
        audit.record("registration.photo_removed", "registration", registration.id, {"source": "officer"})


def confirm(registration: Registration):
    """Queue the creation in openIMIS (same transaction as the status change). The caller commits."""
    if registration.status != "draft":
        abort(409)
    if registration.verification not in ("verified", "manual"):
        continue_manually(registration)
    registration.status = "queued"
    registration.confirmed_at = utcnow()
    registration.client_mutation_id = registration.client_mutation_id or str(uuid.uuid4())
    job = jobs.enqueue(JOB_KIND, {"registration_id": registration.id}, key=f"registration:{registration.id}")
    db.session.flush()
    registration.job_id = job.id
    audit.record("registration.confirmed", "registration", registration.id,
                 {"verification": registration.verification, "corrections": len(registration.corrections),
                  "client_mutation_id": registration.client_mutation_id})
    return job


def audit_trail(registration: Registration):
    query = (select(AuditEvent).where(AuditEvent.subject_type == "registration",
                                      AuditEvent.subject_id == str(registration.id)).order_by(AuditEvent.id))
    return db.session.execute(query).scalars().all()


def insurance_number_rule():
    """openIMIS's rule for insurance numbers (length, check digit), as its client knows it."""
    return peer("openimis").number_rule


def insurance_number_taken(number):
    """True when openIMIS already has an insuree with this number; False when it has none or cannot tell now
    (the registration's job checks again when it creates the insuree)."""
    try:
        return peer("openimis").find_insuree(number) is not None
    except PeerError:
        return False
