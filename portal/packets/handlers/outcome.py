"""`opencrvs.notify`: the packet's outcome (UIN token, deactivation or MOSIP's error) back to OpenCRVS, once.

A worker may die at any moment (SIGKILL); its job runs again once its lease has expired (portal/jobs/queue.py).
So each send is marked in `packet_notifications` (models.Notification): `started` is committed before the HTTP
call, `sent` as soon as OpenCRVS has answered, before the packet moves on. The next attempt reads the mark:

* `sent`: OpenCRVS has it, only the packet's own commit was lost: no second call;
* `started` less than a job lease ago: that send may still be in flight: look again when it cannot be (never two
  sends at once);
* `started` longer ago (its worker died), or `lost` (no answer): OpenCRVS may or may not have it, and the portal
  cannot ask. Both generations ignore the same confirmation twice (`OpenCrvsClient.ignores_repeats` cites their
  code), so it is sent again, unchanged. To an OpenCRVS that could not tell a repeat it would be sent at most once
  more, and the packet marked possibly duplicated.

OpenCRVS's own mosip-api chose at most once instead: it deletes the record's stored transaction before confirming
(opencrvs/mosip @dfa03cd9 `packages/mosip-api/src/database.ts` `getTransactionAndDiscard`), so a crash there loses
the confirmation. Here none is lost, and one that OpenCRVS answered is not sent again.
"""

import hashlib
import hmac
import json
import math
from dataclasses import asdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal import jobs
from portal.clients import peer
from portal.clients.errors import PeerError, PermanentPeerError
from portal.clients.opencrvs import Outcome, OutcomeNotSentError
from portal.extensions import db
from portal.messages import message
from portal.packets import states
from portal.packets.models import Notification
from portal.packets.pipeline import StaleStateError, enqueue_step, note, transition
from portal.timeutil import utcnow

from .step import run_step


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


def outcome_name(packet):
    """What goes back for this packet: `uin`, `deactivation` or `error` (a Notification's `outcome`)."""
    if packet.state == states.REJECTED:
        return "error"
    return "deactivation" if packet.kind == "death" else "uin"


def _fingerprint(outcome):
    """A keyed digest of the request: two attempts sent the same request when these match (no token is kept)."""
    fields = {name: value for name, value in asdict(outcome).items() if name != "record_token"}
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, json.dumps(fields, sort_keys=True).encode(), hashlib.sha256).hexdigest()


def _notification(packet):
    return db.session.execute(select(Notification).filter_by(
        packet_id=packet.id, outcome=outcome_name(packet), round=packet.retries)).scalar()


def _finish(packet, attempt, done):
    if packet.state == states.REJECTED:
        packet.error_notified = True
        note(packet, "opencrvs.notify", done, attempt)
    else:
        transition(packet, "notified", "opencrvs.notify", done, attempt, attempts=attempt)


def _done_message(packet):
    return message("packet.error_sent" if packet.state == states.REJECTED else "packet.outcome_sent")


def _in_flight_seconds(row):
    """How much longer the send marked `started` may still be in flight: a worker that has held it for a job lease
    is presumed dead, as the queue presumes (portal/jobs/queue.py `release_expired_leases`)."""
    lease = float(current_app.config["PORTAL_JOB_LEASE_SECONDS"])
    return lease - (utcnow() - row.started_at).total_seconds()


def _look_again(packet, attempt, wait):
    due = utcnow() + timedelta(seconds=wait)
    note(packet, "opencrvs.notify", message("packet.outcome_in_flight", seconds=math.ceil(wait)), attempt)
    enqueue_step("opencrvs.notify", packet, delay=wait, extra=f"after-{due.timestamp():.3f}")


def _resend_note(row, outcome, fingerprint):
    """An earlier send got no answer: (the timeline row saying why it is sent again, whether it may now be
    duplicated), or PermanentPeerError when it must not be sent again (a second repeat to an OpenCRVS that cannot
    tell one)."""
    if row.fingerprint == fingerprint and peer("opencrvs").ignores_repeats(outcome):
        return message("packet.outcome_resent"), row.possibly_duplicated
    if row.possibly_duplicated:
        raise PermanentPeerError(message("packet.outcome_not_resent"), peer="opencrvs", code="POSSIBLY_DUPLICATED")
    return message("packet.outcome_possibly_twice"), True


def _start(packet, row, fingerprint, possibly_duplicated):
    """Mark the send started and commit it, before OpenCRVS hears anything; returns the mark's id. Compare-and-set
    on `sends` (and the unique key for a first mark): of two attempts that read the same mark, one sends, the other
    gets StaleStateError."""
    now = utcnow()
    try:
        if row is None:
            row = Notification(packet_id=packet.id, outcome=outcome_name(packet), round=packet.retries,
                               status="started", sends=1, fingerprint=fingerprint, possibly_duplicated=False,
                               started_at=now)
            db.session.add(row)
            db.session.flush()
        elif db.session.execute(
                update(Notification).where(Notification.id == row.id, Notification.sends == row.sends)
                .values(status="started", sends=row.sends + 1, fingerprint=fingerprint, started_at=now,
                        finished_at=None, possibly_duplicated=possibly_duplicated)).rowcount != 1:
            raise StaleStateError(f"another attempt is sending packet {packet.id}'s outcome")
        row_id = row.id
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise StaleStateError(f"another attempt is sending packet {packet.id}'s outcome") from None
    return row_id


def _end(row_id, status):
    db.session.execute(update(Notification).where(Notification.id == row_id)
                       .values(status=status, finished_at=utcnow()))
    db.session.commit()


@jobs.handler("opencrvs.notify")
def notify(payload):
    def body(packet, attempt):
        if packet.state == states.REJECTED and packet.error_notified:
            return
        outcome = outcome_for(packet)
        try:
            peer("opencrvs").refuse_unsendable(outcome)
        except OutcomeNotSentError as exc:  # this OpenCRVS generation has no way to take it: say so, and stop
            _finish(packet, attempt, message("packet.outcome_not_sent", reason=str(exc)))
            return
        row = _notification(packet)
        if row is not None and row.status == "sent":  # OpenCRVS answered; the worker died before saving the packet
            _finish(packet, attempt, message("packet.sent_by_earlier_attempt", done=_done_message(packet)))
            return
        wait = _in_flight_seconds(row) if row is not None and row.status == "started" else 0
        if wait > 0:
            _look_again(packet, attempt, wait)
            return
        fingerprint = _fingerprint(outcome)
        possibly_duplicated = row is not None and row.possibly_duplicated
        if row is not None and row.status in ("started", "lost"):  # that send's answer never came
            detail, possibly_duplicated = _resend_note(row, outcome, fingerprint)
            note(packet, "opencrvs.notify", detail, attempt)
        row_id = _start(packet, row, fingerprint, possibly_duplicated)
        try:
            peer("opencrvs").send_outcome(outcome)
        except PeerError as exc:
            # An HTTP answer means OpenCRVS took nothing; no answer (timeout, connection lost) means we cannot know.
            _end(row_id, "refused" if exc.status else "lost")
            raise
        _end(row_id, "sent")  # durable on its own: losing the packet's commit below cannot make us send it again
        _finish(packet, attempt, _done_message(packet))

    run_step(payload, "opencrvs.notify", body)
