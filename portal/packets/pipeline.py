"""The OpenCRVS → MOSIP pipeline's domain functions: accept events, move packets between states (one
timeline row each), queue the next step, and the supervisor's retry / reject-with-reason.

Every function here adds to the current transaction; the caller commits. Transitions are compare-and-set
on the packet's state, so two workers (or a status poll racing a WebSub delivery) never both move a packet:
the loser gets `StaleStateError` and does nothing.
"""

import json
import logging
import uuid
from functools import cache

import psycopg
from flask import current_app
from sqlalchemy import (JSON, DateTime, Integer, String, bindparam, cast, func, insert, literal, or_, select,
                        update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit, jobs, messages
from portal.clients.opencrvs.webhook import CORRECTION_TOPICS
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.models import InboundEvent, Packet, PacketEvent
from portal.timeutil import utcnow

log = logging.getLogger(__name__)


class StaleStateError(Exception):
    """The packet moved on while this step ran: another worker or delivery did the work."""


# --- settings -------------------------------------------------------------------------------------------
def setting(name):
    """A packets setting; every one has its default and its meaning in portal/config.py."""
    return current_app.config[name]


# --- accepting events -----------------------------------------------------------------------------------
def find_inbound(channel, key):
    return db.session.execute(
        select(InboundEvent).where(InboundEvent.channel == channel, InboundEvent.key == key)).scalar_one_or_none()


def accept_crvs_event(event):
    """Store an OpenCRVS event and its new packet, timeline row and first job, committed: the event is
    durable when this returns. Returns (packet id, created): the same event twice gives the first packet
    back and stores nothing. A concurrent twin may raise IntegrityError (the caller counts it a duplicate).

    On PostgreSQL it is one statement in autocommit; elsewhere the rows are added and committed."""
    values = _packet_values(event)
    if db.engine.dialect.name == "postgresql":
        packet_id = _insert_all_at_once(event, values)
        return (packet_id, True) if packet_id is not None else (_existing_packet_id(event.event_id), False)
    inbound = find_inbound("opencrvs", event.event_id)
    if inbound is not None:
        return inbound.packet_id, False
    packet = Packet(**values)
    db.session.add(packet)
    db.session.flush()
    db.session.add(InboundEvent(channel="opencrvs", key=event.event_id, topic=event.topic, source=event.source,
                                payload=dict(event.payload), packet_id=packet.id))
    db.session.add(_timeline_row(packet, "intake", "received", _intake_detail(event), 1))
    enqueue_next(packet)
    db.session.commit()
    return packet.id, True


def _packet_values(event):
    birth = event.kind == "birth"
    if event.is_correction and birth:
        process = setting("PORTAL_MOSIP_PROCESS_CORRECTION")
    else:
        process = setting("PORTAL_MOSIP_PROCESS_BIRTH" if birth else "PORTAL_MOSIP_PROCESS_DEATH")
    return dict(
        kind=event.kind, event_key=event.event_id, topic=event.topic, source=event.source, state="received",
        tracking_id=_upper(event.tracking_id), registration_number=_upper(event.registration_number),
        mosip_aid=event.mosip_aid,
        process=process,
        mosip_source=setting("PORTAL_MOSIP_SOURCE"),
        opencrvs_event_id=event.opencrvs_event_id, action_id=event.action_id,
    )


def is_update(packet):
    """A birth correction: a CRVS_UPDATE packet that changes the identity MOSIP made for the birth, so it
    needs that identity's UIN (which the correction bundle does not carry)."""
    return packet.kind == "birth" and packet.topic in CORRECTION_TOPICS


def registration_of(packet, record_id=None):
    """The earlier registration packet of the OpenCRVS record that `packet` corrects, or None.

    Matched on the record (its id, as in the registration's `event_key`), the tracking id, the registration
    number or the record's MOSIP AID (the registration's RID). Among several (a registration retried as a
    new record), the newest that got a UIN wins, else the newest."""
    registered = "BIRTH_REGISTERED" if packet.kind == "birth" else "DEATH_REGISTERED"
    keys = [key for key in (record_id, packet.opencrvs_event_id) if key]
    matches = [Packet.event_key.in_([f"{registered}:{key}" for key in keys])] if keys else []
    if packet.tracking_id:
        matches.append(Packet.tracking_id == packet.tracking_id)
    if packet.registration_number:
        matches.append(Packet.registration_number == packet.registration_number)
    if packet.mosip_aid:
        matches.append(Packet.rid == packet.mosip_aid)
    if not matches:
        return None
    candidates = db.session.execute(
        select(Packet).where(Packet.kind == packet.kind, Packet.topic == registered, Packet.id != packet.id,
                             or_(*matches)).order_by(Packet.id.desc())).scalars().all()
    with_uin = [p for p in candidates if p.uin_token and p.rid]
    return (with_uin or candidates or [None])[0]


def _intake_detail(event):
    return message("packet.received", topic=event.topic, source=event.source)


def _existing_packet_id(event_key):
    return db.session.execute(select(Packet.id).where(Packet.event_key == event_key)).scalar()


def _insert_all_at_once(event, values):
    """PostgreSQL: packet, inbound event, timeline row and first job in ONE statement (data-modifying
    CTEs). A single statement is atomic by itself, so it runs in autocommit: one round trip in all, where
    BEGIN + INSERT + COMMIT take three (bench/intake.py). The body is stored as the text received, not
    re-serialised. `ON CONFLICT DO NOTHING` makes a duplicate insert nothing; returns the new packet id,
    or None for a duplicate."""
    sql, compiled = _intake_sql()
    return _run_in_autocommit(sql, compiled.construct_params(intake_parameters(event, values)))


def intake_parameters(event, values):
    """The intake statement's parameters for `event` (its packet's `values` from `_packet_values`)."""
    detail, detail_key, detail_params = messages.split(_intake_detail(event))
    return {**values, "now": utcnow(),
            "payload": event.body_text if event.body_text is not None else json.dumps(dict(event.payload)),
            "detail": detail, "detail_key": detail_key, "detail_params": json.dumps(detail_params),
            "job_kind": states.next_step(event.kind, "received"),
            "max_attempts": int(current_app.config["PORTAL_JOB_MAX_ATTEMPTS"])}


def _run_in_autocommit(sql, params):
    """Run one statement on a pooled psycopg connection in autocommit; its first column, or None.

    The driver is called directly: for this one statement SQLAlchemy's execution layer (cache key, result
    objects, switching the isolation level) cost as much CPU as the driver's own work, about 0.09 ms of the
    0.8 ms a webhook takes (bench/intake.py). Errors are raised as SQLAlchemy's, without parameters."""
    try:
        pooled = db.engine.raw_connection()
    except psycopg.Error as exc:  # the database is unreachable
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, hide_parameters=True) from None
    connection = pooled.driver_connection
    try:
        connection.autocommit = True
        try:
            row = connection.execute(sql, params).fetchone()
        finally:
            if not connection.closed:
                connection.autocommit = False
    except psycopg.Error as exc:
        if connection.closed:
            pooled.invalidate()
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, hide_parameters=True) from None
    finally:
        pooled.close()
    return row[0] if row else None


@cache
def _intake_sql():
    """The intake statement compiled once for PostgreSQL through psycopg: (its SQL text, the compiled form
    that turns the parameters into the driver's)."""
    compiled = _intake_statement().compile(dialect=PGDialect_psycopg())
    return str(compiled), compiled


@cache
def _intake_statement():
    """Built once, bound parameters only."""
    packets, inbound, timeline, job_table = (Packet.__table__, InboundEvent.__table__, PacketEvent.__table__,
                                             jobs.Job.__table__)
    now = bindparam("now", type_=DateTime)
    columns = ("kind", "event_key", "topic", "source", "state", "tracking_id", "registration_number", "mosip_aid",
               "process", "mosip_source", "opencrvs_event_id", "action_id")
    row = {name: bindparam(name, type_=String) for name in columns}
    row.update(attempts=0, polls=0, retries=0, error_notified=False, received_at=now, state_changed_at=now,
               updated_at=now)
    new = (pg_insert(packets).values(**row).on_conflict_do_nothing(index_elements=["event_key"])
           .returning(packets.c.id).cte("new_packet"))
    stored = pg_insert(inbound).from_select(
        ["channel", "key", "topic", "source", "payload", "status", "packet_id", "received_at"],
        select(literal("opencrvs"), bindparam("event_key", type_=String), bindparam("topic", type_=String),
               bindparam("source", type_=String), cast(bindparam("payload", type_=String), JSON),
               literal("accepted"), new.c.id, now),
    ).on_conflict_do_nothing(index_elements=["channel", "key"]).cte("new_inbound")
    row_event = insert(timeline).from_select(
        ["packet_id", "created_at", "step", "state", "detail", "detail_key", "detail_params", "attempt"],
        select(new.c.id, now, literal("intake"), literal("received"), bindparam("detail", type_=String),
               bindparam("detail_key", type_=String), cast(bindparam("detail_params", type_=String), JSON), literal(1)),
    ).cte("new_event")
    job_kind = bindparam("job_kind", type_=String)
    key = job_kind.concat(":").concat(cast(new.c.id, String)).concat(":0")
    first_job = insert(job_table).from_select(
        ["kind", "payload", "key", "status", "attempts", "max_attempts", "next_attempt_at", "created_at", "updated_at"],
        select(job_kind, func.json_build_object("packet_id", new.c.id, "job_key", key), key, literal("queued"),
               literal(0), bindparam("max_attempts", type_=Integer), now, now, now),
    ).cte("new_job")
    return select(new.c.id).add_cte(stored, row_event, first_job)


def accept_websub_event(event, payload):
    """Store a MOSIP WebSub delivery and queue its processing, committed. Returns (inbound, created)."""
    inbound = find_inbound("mosip", event.event_id)
    if inbound is not None:
        return inbound, False
    inbound = InboundEvent(channel="mosip", key=event.event_id, topic=(event.topic or "")[:120], source="websub",
                           payload=payload)
    db.session.add(inbound)
    db.session.flush()
    jobs.enqueue("mosip.credential", {"inbound_id": inbound.id, "job_key": f"mosip.credential:{inbound.id}"},
                 key=f"mosip.credential:{inbound.id}")
    db.session.commit()
    return inbound, True


def _upper(value):
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


# --- transitions ----------------------------------------------------------------------------------------
def transition(packet, target, step, detail=None, attempt=1, **values):
    """Move `packet` to `target` (checked against DESIGN.md's states) and add the timeline row.

    `detail` and `error_message` may be Messages (portal/messages.py): their English text is stored as
    before, their key and parameters beside it. Compare-and-set on the current state: raises StaleStateError if
    the row moved meanwhile."""
    retry_from = states.check(packet.kind, packet.state, target, packet.retry_from)
    now = utcnow()
    if "error_message" in values:
        text, key, params = messages.split(values["error_message"])
        values.update(error_message=text, error_key=key, error_params=params)
    changes = {"state": target, "retry_from": retry_from, "step": step, "state_changed_at": now,
               "updated_at": now, **values}
    if target == "uin_issued" or (packet.kind == "death" and target == "deactivated"):
        changes["uin_issued_at"] = now
    if target == "notified":
        changes["notified_at"] = now
    if target not in (states.FAILED, states.REJECTED, states.RETRYING):
        for name in ("error_code", "error_message", "error_key", "error_params"):
            changes.setdefault(name, None)
    db.session.flush()
    moved = db.session.execute(
        update(Packet).where(Packet.id == packet.id, Packet.state == packet.state).values(**changes)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise StaleStateError(f"packet {packet.id} is no longer {packet.state}")
    for name, value in changes.items():
        set_committed_value(packet, name, value)
    db.session.add(_timeline_row(packet, step, target, detail, attempt, created_at=now))
    return packet


def note(packet, step, detail, attempt=1):
    """A timeline row without a state change (RID generated, error sent back, ...)."""
    db.session.add(_timeline_row(packet, step, packet.state, detail, attempt))


def _timeline_row(packet, step, state, detail, attempt, **values):
    text, key, params = messages.split(detail)
    return PacketEvent(packet_id=packet.id, step=step, state=state, detail=text, detail_key=key,
                       detail_params=params, attempt=attempt, **values)


# --- queueing -------------------------------------------------------------------------------------------
def job_key(kind, packet, extra=None):
    return ":".join(str(p) for p in (kind, packet.id, packet.retries, extra) if p is not None)


def enqueue_step(kind, packet, delay=0, extra=None):
    key = job_key(kind, packet, extra)
    return jobs.enqueue(kind, {"packet_id": packet.id, "job_key": key}, key=key, delay=delay)


def enqueue_next(packet, delay=0):
    """Queue the job that moves `packet` on from its state (nothing when terminal or waiting)."""
    if packet.state == states.REJECTED:
        if not packet.error_notified:
            return enqueue_step("opencrvs.notify", packet, extra="error")
        return None
    kind = states.next_step(packet.kind, packet.state, packet.retry_from)
    if kind is None:
        return None
    if kind == "mosip.status":
        return enqueue_step(kind, packet, delay=delay, extra=packet.polls)
    return enqueue_step(kind, packet, delay=delay)


def poll_delay(polls):
    base, cap = float(setting("PORTAL_PACKETS_POLL_BASE")), float(setting("PORTAL_PACKETS_POLL_CAP"))
    return min(cap, base * 2 ** min(polls, 16))


# --- supervisor actions (dashboard) ---------------------------------------------------------------------
def retry_packet(packet, actor=None):
    """A failed packet runs its failed step again (`failed → retrying`), audited. Caller commits.
    Raises states.InvalidTransitionError when the packet is not failed."""
    if packet.state != states.FAILED:
        raise states.InvalidTransitionError("only a failed packet can be retried")
    packet.retries += 1
    transition(packet, states.RETRYING, "supervisor.retry", message("packet.retried_by_supervisor"),
               attempt=packet.retries)
    audit.record("packet.retried", "packet", packet.id, {"step": packet.retry_from}, actor=actor)
    return enqueue_next(packet)


def reject_packet(packet, reason, actor=None):
    """Give up on a packet with a reason; the error goes back to OpenCRVS. Audited; caller commits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a rejection needs a reason")
    transition(packet, states.REJECTED, "supervisor.reject", reason, error_code="REJECTED_BY_SUPERVISOR",
               error_message=reason[:2000])
    audit.record("packet.rejected", "packet", packet.id, {"reason": reason[:500]}, actor=actor)
    return enqueue_next(packet)


def deterministic_uuid(packet, name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"interop-portal:packet:{packet.id}:{name}"))
