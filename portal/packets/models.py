"""Packets: one row per OpenCRVS record sent to MOSIP, its timeline, the inbound events it came from, the
outcomes sent back to OpenCRVS (`Notification`), and the WebSub/webhook subscriptions the portal holds.

For the dashboard (`views.py`, templates/packets/):

* `Packet.state` is one of `states.STATES`, `Packet.state_changed_at` when it got there: counts by state and
  by age in state use the index `ix_packets_kind_state_changed` (kind, state, state_changed_at).
  A packet is *stuck* when it has been in a non-terminal state longer than `PORTAL_PACKETS_STUCK_SECONDS`
  (`stuck_seconds()` below).
* Throughput over time: `received_at` (events received, indexed) and `uin_issued_at` (UINs issued or
  deaths deactivated, indexed); time-to-UIN is `uin_issued_at - received_at`.
* Failures list: `state in ("failed", "rejected")` with `error_code`, `error_message` (plain words, no
  personal data) and `attempts` (of the step that failed). Retry and reject-with-reason buttons call
  `portal.packets.pipeline.retry_packet(packet)` / `reject_packet(packet, reason)` (both audited; the caller
  commits).
* Search: `tracking_id`, `registration_number`, `rid` are indexed (exact match; the tracking id and
  registration number are case-insensitive in OpenCRVS, stored upper-case as OpenCRVS prints them).
* Timeline: `packet.events` (PacketEvent rows, oldest first): time, step, state, detail, attempt.
* `detail` and `error_message` stay English (the error goes back to OpenCRVS); `detail_key`/`detail_params` and
  `error_key`/`error_params` let a page show them in the reader's language (portal/messages.py).

No column holds a UIN: births keep only `uin_token` (what goes back to OpenCRVS: the partner-specific
token by default). The person's data lives only in `InboundEvent.payload` (the delivery as received).
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import utcnow


class InboundEvent(db.Model):
    """A delivery stored before it is acknowledged: an OpenCRVS event or a MOSIP WebSub event.

    `(channel, key)` is unique: the same event twice is stored once (OpenCRVS: the record and topic;
    MOSIP: `event.id`). `status`: accepted (stored, work queued), processed, ignored, error (could not be
    used; `detail` says why), unmatched (a MOSIP credential that names no packet the portal knows: kept, listed
    for supervisors, matched again later; `portal.packets.handlers.credentials`).

    `match_keys` (MOSIP credentials): what the credential was looked up by, `{"rid": [...],
    "registration_number": [...], "opencrvs_id": [...]}` (ids of the record, not of the person) and `uin`, a
    keyed digest of the credential's UIN (never the UIN itself) that lets the packet whose RID the identity
    repository resolves to the same UIN claim it. Unmatched rows are read through the
    (channel, status, received_at) index."""

    __tablename__ = "packet_inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # "opencrvs" | "mosip"
    key: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(16))  # webhook | interop | websub
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    detail: Mapped[str | None] = mapped_column(Text)
    packet_id: Mapped[int | None] = mapped_column(ForeignKey("packets.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    match_keys: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    __table_args__ = (UniqueConstraint("channel", "key"),
                      db.Index("ix_packet_inbound_events_channel_status", "channel", "status", "received_at"))


class Packet(db.Model):
    __tablename__ = "packets"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # birth | death
    event_key: Mapped[str] = mapped_column(String(200), unique=True)  # the OpenCRVS event it came from
    topic: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(16))  # webhook | interop
    state: Mapped[str] = mapped_column(String(32), default="received")
    step: Mapped[str | None] = mapped_column(String(40))  # the pipeline step in progress or last run
    retry_from: Mapped[str | None] = mapped_column(String(32))  # state to resume from while `retrying`/`failed`
    tracking_id: Mapped[str | None] = mapped_column(String(64), index=True)
    registration_number: Mapped[str | None] = mapped_column(String(64), index=True)
    mosip_aid: Mapped[str | None] = mapped_column(String(64))
    rid: Mapped[str | None] = mapped_column(String(64), unique=True)
    process: Mapped[str] = mapped_column(String(40))
    mosip_source: Mapped[str] = mapped_column(String(40))
    workflow_instance_id: Mapped[str | None] = mapped_column(String(64))
    mosip_status: Mapped[str | None] = mapped_column(String(32))
    uin_token: Mapped[str | None] = mapped_column(String(128))
    opencrvs_event_id: Mapped[str | None] = mapped_column(String(128))  # v1.9 interop: record and action
    action_id: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_key: Mapped[str | None] = mapped_column(String(64))  # error_message in the reader's language: messages.py
    error_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    attempts: Mapped[int] = mapped_column(default=0)
    polls: Mapped[int] = mapped_column(default=0)
    retries: Mapped[int] = mapped_column(default=0)  # supervisor retries
    error_notified: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    uin_issued_at: Mapped[datetime | None] = mapped_column(index=True)
    notified_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    events: Mapped[list["PacketEvent"]] = relationship(
        back_populates="packet", order_by="PacketEvent.id", cascade="all, delete-orphan")

    __table_args__ = (
        db.Index("ix_packets_kind_state_changed", "kind", "state", "state_changed_at"),
        db.Index("ix_packets_state_changed", "state", "state_changed_at"),
    )

    def age_in_state(self, now=None):
        """Seconds since the packet reached its current state."""
        return ((now or utcnow()) - self.state_changed_at).total_seconds()

    def is_stuck(self, now=None):
        from portal.packets.states import TERMINAL

        return self.state not in TERMINAL and self.age_in_state(now) > stuck_seconds()


class PacketEvent(db.Model):
    """One timeline row: a transition (or a notable step) with its time, detail and attempt number."""

    __tablename__ = "packet_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    step: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(32))  # the packet's state after this row
    detail: Mapped[str | None] = mapped_column(Text)
    detail_key: Mapped[str | None] = mapped_column(String(64))  # detail in the reader's language: messages.py
    detail_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    attempt: Mapped[int] = mapped_column(default=1)

    packet: Mapped[Packet] = relationship(back_populates="events")


class Notification(db.Model):
    """One outcome sent back to OpenCRVS (`outcome`: uin | deactivation | error) for a packet, per supervisor round
    (`round`: the packet's `retries` then), marked before and after the call so that the next attempt, after a
    worker died, can tell "sent" from "not sent" (portal/packets/handlers/outcome.py).

    `status`: `started` (committed before the HTTP call: still `started` a job lease later means that worker died
    without the answer), `sent` (OpenCRVS answered 2xx), `refused` (OpenCRVS answered an error: it took nothing),
    `lost` (the call ended without an answer: timeout, connection lost). What is never sent (OpenCRVS 1.x: deaths,
    errors) has no row. `sends` counts the calls that may have reached OpenCRVS (it is also the compare-and-set
    version of the row); `possibly_duplicated` is set when one was repeated to an OpenCRVS that cannot tell a repeat
    (for supervisors). `fingerprint` is a keyed digest of the request, not the request (it holds the UIN token): a
    repeat is "the same request" only when it matches."""

    __tablename__ = "packet_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("packets.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="started")
    sends: Mapped[int] = mapped_column(default=0)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    possibly_duplicated: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("packet_id", "outcome", "round"),)


class Subscription(db.Model):
    """A subscription the portal asked a peer for: MOSIP WebSub (`{partner}/CREDENTIAL_ISSUED`) or an
    OpenCRVS webhook topic. The intent-verification GET is answered only for a row that exists here.

    `subscribe_requested_at` / `unsubscribe_requested_at` (MOSIP): when the portal asked the hub to subscribe /
    unsubscribe and the hub has not answered yet. The hub's verification (or denial) changes the row only when it
    answers one of these requests, and clears it (`portal.packets.handlers.subscriptions.answered_request`)."""

    __tablename__ = "packet_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    peer: Mapped[str] = mapped_column(String(16))  # mosip | opencrvs
    topic: Mapped[str] = mapped_column(String(120))
    callback: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | active | denied
    reason: Mapped[str | None] = mapped_column(Text)
    lease_seconds: Mapped[int | None]
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    subscribe_requested_at: Mapped[datetime | None]
    unsubscribe_requested_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("peer", "topic", "callback"),)


def stuck_seconds():
    return int(current_app.config["PORTAL_PACKETS_STUCK_SECONDS"])
