"""A registration (one insuree an officer registers, verified by eSignet or entered by hand) and its corrections."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import utcnow

# draft: being filled · queued: confirmed, waiting for (or retrying) openIMIS · done: created, chf_id known ·
# duplicate: openIMIS already has an insuree with this identification · failed: openIMIS refused it
STATUSES = ("draft", "queued", "done", "duplicate", "failed")
# none: not asked · pending: the officer is at eSignet · verified · failed: eSignet or a check said no ·
# cancelled: the person cancelled at eSignet · manual: the officer chose to continue by hand
VERIFICATIONS = ("none", "pending", "verified", "failed", "cancelled", "manual")


class Registration(db.Model):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(150), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    # The insuree as the form holds it (field name -> text; see forms.RegistrationForm).
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    photo: Mapped[str | None] = mapped_column(Text)  # base64 JPEG/PNG from the `picture` claim, no data: prefix

    # eSignet verification
    verification: Mapped[str] = mapped_column(String(16), default="none")
    verified_values: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> {"value", "claim"} from MOSIP
    esignet_sub: Mapped[str | None] = mapped_column(String(255))
    esignet_acr: Mapped[str | None] = mapped_column(String(255))
    esignet_amr: Mapped[list] = mapped_column(JSON, default=list)
    esignet_auth_time: Mapped[datetime | None]
    esignet_claims: Mapped[list] = mapped_column(JSON, default=list)  # names of the claims received
    verification_notes: Mapped[list] = mapped_column(JSON, default=list)  # [claim, why it could not be used]
    verified_at: Mapped[datetime | None]
    has_corrections: Mapped[bool] = mapped_column(default=False, index=True)
    # The login under way: its state (looked up at the callback) and what finish_login needs (nonce, verifier…).
    login_state: Mapped[str | None] = mapped_column(String(128), unique=True)
    login_request: Mapped[dict | None] = mapped_column(JSON)
    login_started_at: Mapped[datetime | None]

    # openIMIS outcome
    client_mutation_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    chf_id: Mapped[str | None] = mapped_column(String(50))
    duplicate_chf_id: Mapped[str | None] = mapped_column(String(50))
    family_id: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)  # plain words for staff
    note: Mapped[str | None] = mapped_column(String(300))  # e.g. "openIMIS unreachable, will retry"
    # error and note in the reader's language (portal/messages.py)
    error_key: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    note_key: Mapped[str | None] = mapped_column(String(64))
    note_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    confirmed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    job_id: Mapped[int | None]

    corrections: Mapped[list["Correction"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Correction.id")

    @property
    def display_name(self):
        return " ".join(p for p in (self.values.get("other_names"), self.values.get("last_name")) if p) or "—"

    def verified(self, field):
        """The MOSIP value of `field` if it came from eSignet, else None."""
        entry = (self.verified_values or {}).get(field)
        return entry["value"] if entry else None

    def still_verified(self, field):
        entry = (self.verified_values or {}).get(field)
        return entry is not None and (self.values or {}).get(field) == entry["value"]


class Correction(db.Model):
    """An officer changed a value that came from MOSIP: which field, both values, who and when."""

    __tablename__ = "registration_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    claim: Mapped[str | None] = mapped_column(String(80))
    mosip_value: Mapped[str | None] = mapped_column(Text)
    entered_value: Mapped[str | None] = mapped_column(Text)
    officer: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="corrections")
