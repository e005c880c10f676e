"""Enrollment batches, their items, the one-enrollment-per-individual claims, selections and the DCI API's
clients, tokens and received messages."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import messages
from portal.extensions import db
from portal.timeutil import utcnow

ITEM_STATUSES = ("waiting", "family_created", "done", "failed", "duplicate")


class EnrollmentBatch(db.Model):
    """One "enroll these people" request: from an officer's selection (source ui) or a DCI push (source dci)."""

    __tablename__ = "enrollment_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # "ui" or "dci"
    created_by: Mapped[str] = mapped_column(String(150))  # the officer's username, or the DCI client's name
    sender_id: Mapped[str | None] = mapped_column(String(200))  # DCI header.sender_id
    correlation_id: Mapped[str] = mapped_column(String(64), unique=True)  # our id for DCI answers
    product_id: Mapped[int | None]  # openIMIS int ids; None until resolved from the codes (DCI batches)
    product_code: Mapped[str] = mapped_column(String(50))
    product_name: Mapped[str | None] = mapped_column(String(200))
    officer_id: Mapped[int | None]
    officer_code: Mapped[str] = mapped_column(String(50))
    officer_name: Mapped[str | None] = mapped_column(String(200))
    location_id: Mapped[int | None]  # the families' village in openIMIS, if the deployment needs one
    enroll_date: Mapped[date]
    total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class EnrollmentItem(db.Model):
    """One individual of a batch. Its job creates the family (the individual as head) then the policy;
    the ids of both mutations are stored before they are sent, so a retry never creates twice."""

    __tablename__ = "enrollment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("enrollment_batches.id", ondelete="CASCADE"))
    openspp_id: Mapped[str] = mapped_column(String(200))
    reference_id: Mapped[str | None] = mapped_column(String(200), index=True)  # DCI reference
    display_name: Mapped[str] = mapped_column(String(300), default="")
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)  # Individual.to_dict() at selection time
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)  # values the officer supplied (birthdate, sex)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    error: Mapped[str | None] = mapped_column(Text)  # in plain words for staff; DCI answers carry it as is
    note: Mapped[str | None] = mapped_column(String(300))  # e.g. "openIMIS unreachable, will retry"
    # error and note in the reader's language (portal/messages.py)
    error_key: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    note_key: Mapped[str | None] = mapped_column(String(64))
    note_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    chf_id: Mapped[str | None] = mapped_column(String(50))
    family_id: Mapped[int | None]
    family_uuid: Mapped[str | None] = mapped_column(String(64))
    family_mutation_id: Mapped[str | None] = mapped_column(String(64))
    policy_mutation_id: Mapped[str | None] = mapped_column(String(64))
    number_attempts: Mapped[int] = mapped_column(default=0)
    round: Mapped[int] = mapped_column(default=0)  # +1 at each "retry failed items"
    job_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]

    batch: Mapped[EnrollmentBatch] = relationship()

    @property
    def fields_to_supply(self):
        """The openSPP fields the officer must supply before a retry (from the error's keys, never its words)."""
        return {key.split(".")[1] for key in messages.keys(self.error_key, self.error_params)
                if key.startswith("mapping.")}

    __table_args__ = (
        UniqueConstraint("batch_id", "openspp_id"),
        db.Index("ix_enrollment_items_batch_status", "batch_id", "status"),
    )


class EnrollmentClaim(db.Model):
    """At most one enrollment per openSPP individual, enforced by the database: the first item to claim an
    openspp_id owns it; any later item for the same individual is a duplicate. A claim is released when its
    item fails before anything was created in openIMIS, so the individual can be enrolled again."""

    __tablename__ = "enrollment_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    openspp_id: Mapped[str] = mapped_column(String(200), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("enrollment_items.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[EnrollmentItem] = relationship()


class Selection(db.Model):
    """An officer's selection, kept on the server across pages and searches until a batch is started."""

    __tablename__ = "enrollment_selections"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    openspp_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(300), default="")
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)  # what the officer supplied on the review page
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "openspp_id"),)


class DciMessage(db.Model):
    """A received DCI enrollment message, stored before it is acknowledged; replays get the stored answer."""

    __tablename__ = "dci_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(200))
    transaction_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # "envelope" or "individual" (the plain openSPP body)
    body_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict] = mapped_column(JSON)
    answer: Mapped[dict] = mapped_column(JSON, default=dict)
    answer_status: Mapped[int] = mapped_column(default=200)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment_batches.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("sender_id", "message_id"),)
