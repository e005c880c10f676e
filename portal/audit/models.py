"""The `audit_events` table, what each action means for staff, and `record` (add an event to the caller's
transaction)."""

from datetime import datetime

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow

# What each action means, for staff; pages show the code beside it (it is what the filter takes).
ACTION_LABELS = {
    "login.succeeded": _l("Signed in"),
    "login.failed": _l("Sign-in refused"),
    "logout": _l("Signed out"),
    "user.created": _l("User created"),
    "user.enabled": _l("User enabled"),
    "user.disabled": _l("User disabled"),
    "user.password_changed": _l("Password changed"),
    "api_client.created": _l("API client created"),
    "api_client.disabled": _l("API client disabled"),
    "job.retried": _l("Job retried"),
    "registration.started": _l("Registration started"),
    "registration.verification_started": _l("eSignet verification started"),
    "registration.verified": _l("Verified by eSignet"),
    "registration.verification_failed": _l("eSignet verification failed"),
    "registration.verification_cancelled": _l("eSignet verification cancelled"),
    "registration.callback_rejected": _l("eSignet answer refused"),
    "registration.manual_entry": _l("Continued by hand"),
    "registration.corrected": _l("MOSIP value corrected"),
    "registration.photo_removed": _l("Photo removed"),
    "registration.confirmed": _l("Registration confirmed"),
    "registration.openimis_unreachable": _l("openIMIS unreachable"),
    "registration.duplicate_found": _l("Already insured in openIMIS"),
    "registration.created": _l("Created in openIMIS"),
    "registration.failed": _l("Refused by openIMIS"),
    "enrollment.batch_created": _l("Enrollment batch created"),
    "enrollment.batch_retried": _l("Failed items retried"),
    "enrollment.item_retried": _l("Item retried"),
    "enrollment.item_failed": _l("Item failed"),
    "enrollment.item_enrolled": _l("Item enrolled"),
    "packet.retried": _l("Packet retried"),
    "packet.rejected": _l("Packet rejected"),
}


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(80), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (db.Index("ix_audit_events_subject", "subject_type", "subject_id"),)


def record(action, subject_type, subject_id, detail=None, actor=None):
    """Add an audit event to the current transaction; the caller commits it with its change."""
    if actor is None:
        user = g.get("user")
        actor = user.username if user is not None else "system"
    event = AuditEvent(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=detail or {},
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(event)
    return event
