"""Machine routes of the pipeline (`api_bp`, CSRF-exempt, no session): OpenCRVS webhooks and interop call,
MOSIP WebSub. Each authenticates the caller itself (HMAC or JWT), stores the event in one transaction with
its packet and first job before answering, answers a duplicate as accepted without storing it again, and
never answers 500: a refusal is 400/401/422 with a precise message (no personal data), logged without
personal data; a database outage is 503 so the peer retries.
"""

import logging
from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from portal.clients import mosip as mosip_client, peer
from portal.clients.errors import PeerError
from portal.clients.opencrvs import TokenRejectedError, interop, webhook
from portal.extensions import db, limiter
from portal.jsonbody import JsonBodyError, read_json
from portal.packets.handlers.subscriptions import MAX_LEASE_SECONDS, answered_request, lease_bound
from portal.packets.models import Packet, Subscription
from portal.packets.pipeline import accept_crvs_event, accept_websub_event
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

api_bp = Blueprint("packets_api", __name__, url_prefix="/api")


@limiter.request_filter
def _peer_deliveries_not_limited():
    """OpenCRVS does not redeliver a refused webhook, so a 429 would lose a registration: these routes are
    gated by their HMAC or JWT, not by a rate limit (and skip the limiter's per-request work)."""
    return request.blueprint == api_bp.name


def _refuse(status, message, channel):
    log.warning("inbound refused", extra={"channel": channel, "status": status, "reason": message[:200]})
    return jsonify(error=message), status


def _store(accept, *args, channel):
    """Run `accept(*args)` (which commits): ((what it returns), None), or ((None, None), the refusal to send).
    A concurrent duplicate (unique key) counts as accepted."""
    try:
        try:
            return accept(*args), None
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # the server closed the connection under the statement (restart, failover): once more on a fresh one,
            # since the peer does not send a refused event again
            db.session.rollback()
            log.warning("database connection lost while storing; retrying once", extra={"channel": channel})
            return accept(*args), None
    except IntegrityError:
        db.session.rollback()
        return (None, False), None
    except DataError:  # PostgreSQL refuses a value (too long for its column, JSON it cannot read): resending won't help
        db.session.rollback()
        return (None, None), _refuse(422, "the event holds a value the portal cannot store (too long or malformed)",
                                     channel)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("inbound event not stored", extra={"channel": channel})
        return (None, None), _refuse(503, "the event could not be stored; retry later", channel)


# --- OpenCRVS webhooks ----------------------------------------------------------------------------------
@api_bp.get("/opencrvs/events")
def opencrvs_verify():
    """OpenCRVS's intent verification: `?mode=subscribe&challenge=…&topic=…` → `{"challenge": …}`, only for a
    topic the portal asked for (so nobody can confirm a subscription in our name)."""
    mode, challenge, topic = (request.args.get(k) for k in ("mode", "challenge", "topic"))
    if mode != "subscribe" or not challenge or not topic:
        return _refuse(400, "expected mode=subscribe, challenge and topic", "opencrvs")
    if _subscription(peer="opencrvs", topic=topic) is None:
        return _refuse(404, f"no subscription requested for topic {topic[:64]}", "opencrvs")
    return jsonify(challenge=challenge)


@api_bp.post("/opencrvs/events")
def opencrvs_event():
    raw = request.get_data(cache=False)
    secret = current_app.config.get("PORTAL_OPENCRVS_WEBHOOK_SECRET")
    if not webhook.verify_opencrvs_signature(raw, request.headers.get("X-Hub-Signature"), secret):
        return _refuse(401, "missing or invalid X-Hub-Signature", "opencrvs")
    try:
        event = webhook.parse_event(raw)
    except webhook.IntakeError as exc:
        return _refuse(exc.status, exc.message, "opencrvs")
    (packet_id, created), error = _store(accept_crvs_event, event, channel="opencrvs")
    if error:
        return error
    if packet_id is None:  # a concurrent twin won the unique key
        packet_id = db.session.execute(select(Packet.id).where(Packet.event_key == event.event_id)).scalar()
    log.info("opencrvs event accepted", extra={"packet_id": packet_id, "topic": event.topic, "duplicate": not created})
    return jsonify(status="accepted" if created else "duplicate", packet=packet_id), 202


@api_bp.post("/opencrvs/registration")
def opencrvs_registration():
    """OpenCRVS v1.9's interop call (`MosipInteropPayload`), its JWT verified with OpenCRVS's public key."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        return _refuse(401, "missing bearer token", "opencrvs")
    try:
        claims = peer("opencrvs").verify_record_token(token)
    except TokenRejectedError as exc:
        return _refuse(401, f"token refused: {exc}", "opencrvs")
    except PeerError:
        return _refuse(503, "OpenCRVS's public key cannot be fetched; retry later", "opencrvs")
    try:
        event = interop.parse_interop_registration(request.get_data(cache=False), claims)
    except webhook.IntakeError as exc:
        return _refuse(exc.status, exc.message, "opencrvs")
    (packet_id, created), error = _store(accept_crvs_event, event, channel="opencrvs")
    if error:
        return error
    log.info("opencrvs interop call accepted", extra={"packet_id": packet_id, "duplicate": not created})
    return jsonify({}), 202


# --- MOSIP WebSub ---------------------------------------------------------------------------------------
@api_bp.get("/mosip/websub")
def websub_verify():
    """The hub's intent verification: echo `hub.challenge` as text when it answers a subscribe/unsubscribe request
    the portal made (same mode and topic, within the hub's time: `subscriptions.answered_request`), else 404. A
    denial (`hub.mode=denied&hub.reason=…`) of such a request is recorded; any other denial is acknowledged and
    changes nothing. This GET carries no credential, so only a request of ours may change the subscription."""
    try:
        mode, topic, challenge, lease, reason = _verification_params(request.args)
    except _ParameterError as exc:
        return _refuse(400, str(exc), "mosip")
    rows = db.session.execute(select(Subscription).filter_by(peer="mosip", topic=topic)
                              .order_by(Subscription.id)).scalars().all()
    if mode == "subscribe" and lease is not None:
        bound = max((lease_bound(row) for row in rows), default=MAX_LEASE_SECONDS)
        if lease > bound:
            return _refuse(400, f"hub.lease_seconds must be at most {bound}", "mosip")
    now = utcnow()
    row = next((row for row in rows if answered_request(row, mode, now, reason)), None)
    if mode == "denied":
        if row is None:  # nobody may deny in the hub's name what the portal did not ask for
            log.warning("websub denial answers no request of the portal; ignored",
                        extra={"channel": "mosip", "reason": reason[:200]})
            return Response("", status=200)
        row.reason = reason[:500]
        if "already registered" not in row.reason:  # MOSIP keeps the existing subscription then
            row.status = "denied"
        db.session.commit()
        log.info("websub request denied", extra={"channel": "mosip", "subscription_id": row.id})
        return Response("", status=200)
    if row is None:
        return _refuse(404, f"no {mode} request of the portal awaits verification for this topic", "mosip")
    if mode == "subscribe":
        lease = lease if lease is not None else row.lease_seconds
        row.status, row.verified_at, row.reason = "active", now, None
        row.expires_at = now + timedelta(seconds=lease) if lease is not None else None
    else:
        row.status = "unsubscribed"
    db.session.commit()
    return Response(challenge, status=200, mimetype="text/plain")


class _ParameterError(ValueError):
    """A hub parameter no hub sends; the message names it."""


# The longest hub.challenge echoed: MOSIP's hub sends a UUID (Ballerina websubhub `subscription.bal`
# `uuid:createType4AsString`).
_MAX_CHALLENGE = 200
_TOPIC_LENGTH = Subscription.topic.type.length
_MODES = ("subscribe", "unsubscribe", "denied")


def _verification_params(args):
    """(mode, topic, challenge, lease seconds or None, reason) of the hub's GET, or _ParameterError."""
    mode = args.get("hub.mode")
    if mode not in _MODES:
        raise _ParameterError(f"hub.mode must be one of {', '.join(_MODES)}")
    topic = _text(args, "hub.topic", required=True)
    if len(topic) > _TOPIC_LENGTH:  # the column's length: longer is no topic the portal asked for
        raise _ParameterError(f"hub.topic is longer than {_TOPIC_LENGTH} characters")
    if mode == "denied":
        return mode, topic, None, None, _text(args, "hub.reason") or ""
    challenge = _text(args, "hub.challenge", required=True)
    if len(challenge) > _MAX_CHALLENGE:
        raise _ParameterError(f"hub.challenge is longer than {_MAX_CHALLENGE} characters")
    lease = None
    if mode == "subscribe" and "hub.lease_seconds" in args:
        raw = args["hub.lease_seconds"]
        # digits only: int() would also take "+1", " 1", "1_0" and other scripts' digits; 20 digits hold any
        # 64-bit integer, the longest lease MOSIP's hub reads
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 20):
            raise _ParameterError("hub.lease_seconds must be a whole number of seconds (digits only)")
        lease = int(raw)
    return mode, topic, challenge, lease, None


def _text(args, name, required=False):
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise _ParameterError(f"Missing {name}")
        return None
    if not value.isprintable():  # a NUL (PostgreSQL refuses it in text), a line break, another control character
        raise _ParameterError(f"{name} holds a control character")
    return value


@api_bp.post("/mosip/websub")
def websub_event():
    raw = request.get_data(cache=False)
    secret = current_app.config.get("PORTAL_MOSIP_WEBSUB_SECRET")
    signature = request.headers.get("X-Hub-Signature")
    # `<method>=<lowercase hex>` is ASCII (MOSIP's verifier: mosip/commons kernel-websubclient-api
    # `AuthenticatedContentVerifier.isContentVerified`); anything else is refused before any comparison.
    if signature is not None and not signature.isascii():
        return _refuse(401, "missing or invalid X-Hub-Signature", "mosip")
    if not mosip_client.verify_hub_signature(secret, raw, signature):
        return _refuse(401, "missing or invalid X-Hub-Signature", "mosip")
    try:
        payload = read_json(raw)
    except JsonBodyError as exc:
        return _refuse(400, str(exc), "mosip")
    if not isinstance(payload, dict):
        return _refuse(400, "the body is not a JSON object", "mosip")
    try:
        event = mosip_client.parse_credential_event(payload)
    except ValueError as exc:
        return _refuse(422, str(exc), "mosip")
    (inbound, created), error = _store(accept_websub_event, event, payload, channel="mosip")
    if error:
        return error
    log.info("websub event accepted", extra={"inbound_id": inbound.id if inbound else None, "duplicate": not created})
    # The acknowledgement OpenCRVS's mosip-api sends back (notes §4.3).
    now = mosip_client.mosip_time()
    return jsonify(publisher=payload.get("publisher"), topic=payload.get("topic"), publishedOn=now,
                   event={"id": event.event_id, "requestId": event.transaction_id, "timestamp": now,
                          "status": "RECEIVED", "url": ""})


def _subscription(**columns):
    """The first subscription row with these column values, or None."""
    query = select(Subscription).filter_by(**columns).limit(1)
    return db.session.execute(query).scalar()
