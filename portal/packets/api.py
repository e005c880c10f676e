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
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from portal.clients import mosip as mosip_client, peer
from portal.clients.errors import PeerError
from portal.clients.opencrvs import TokenRejectedError, interop, webhook
from portal.extensions import db, limiter
from portal.jsonbody import JsonBodyError, read_json
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
    """The hub's intent verification: echo `hub.challenge` as text for a subscription we asked for; a denial
    (`hub.mode=denied&hub.reason=…`) is recorded and acknowledged."""
    mode, topic = request.args.get("hub.mode"), request.args.get("hub.topic")
    row = _subscription(peer="mosip", topic=topic) if topic else None
    if mode == "denied":
        if row is not None:
            row.reason = (request.args.get("hub.reason") or "")[:500]
            if "already registered" not in row.reason:  # MOSIP keeps the existing subscription then
                row.status = "denied"
            db.session.commit()
        return Response("", status=200)
    challenge = request.args.get("hub.challenge")
    if mode not in ("subscribe", "unsubscribe") or not challenge:
        return _refuse(400, "Missing hub.challenge", "mosip")
    if row is None:
        return _refuse(404, "no subscription requested for this topic", "mosip")
    now = utcnow()
    if mode == "subscribe":
        lease = request.args.get("hub.lease_seconds", type=int) or row.lease_seconds
        row.status, row.verified_at, row.reason = "active", now, None
        row.expires_at = now + timedelta(seconds=lease) if lease else None
    else:
        row.status = "unsubscribed"
    db.session.commit()
    return Response(challenge, status=200, mimetype="text/plain")


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
