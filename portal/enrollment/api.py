"""Machine routes: `POST /api/oauth/token`, `POST /api/dci/enrollment`, `POST /api/dci/txn/status`.

Every answer is JSON in the DCI shapes (portal/clients/openspp/dci.py reads and writes them); a bad request is
logged with its error code, the client's name and the message id, never with the body. An accepted message is
stored (with its answer) in the same transaction as its batch, items and jobs, before the answer leaves: a replay
of the same message_id gets the stored answer and nothing is processed twice.
"""

import hashlib
import json
import logging
import time

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.clients.openspp import dci
from portal.clients.openspp import enrollment as dci_enrollment
from portal.auth import apiclients
from portal.enrollment import batches
from portal.enrollment.models import DciMessage, EnrollmentBatch, EnrollmentItem
from portal.extensions import commit_or_retry_once, db
from portal.jsonbody import JsonBodyError, read_json
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

api_bp = Blueprint("enrollment_api", __name__, url_prefix="/api")

# An item's status in the portal -> its DCI status in an answer.
STATUS_OF_ITEM = {"waiting": "pdng", "family_created": "pdng", "done": "succ", "failed": "rjct",
                  "duplicate": "rjct"}


def our_id():
    return current_app.config["PORTAL_DCI_RECEIVER_ID"]


def _http_error(exc, client=None):
    log.warning("dci request refused", extra={"route": request.path, "status": exc.status, "code": exc.code,
                                              "client": getattr(client, "name", None),
                                              "message_id": g.get("dci_message_id")})
    response = jsonify(exc.body())
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dci", error="invalid_token"'
    return response


def _rejected(exc, body, client, action):
    log.warning("dci message rejected", extra={"route": request.path, "status": exc.status,
                                               "code": exc.reason_code, "client": client.name,
                                               "message_id": g.get("dci_message_id")})
    return jsonify(dci.rejection(body, exc, our_id(), action)), exc.status


def _bearer_client():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise dci.HttpError(401, "err.request.unauthorized", "a bearer token from /api/oauth/token is required")
    client, reason = apiclients.client_for_token(token.strip())
    if reason == "expired":
        raise dci.HttpError(401, "err.request.unauthorized", "the bearer token has expired")
    if reason == "disabled":
        raise dci.HttpError(403, "err.request.forbidden", "this API client is disabled")
    if client is None:
        raise dci.HttpError(401, "err.request.unauthorized", "the bearer token is not valid")
    return client


def _json_body():
    """(parsed body, raw bytes) within the size limit; HttpError otherwise."""
    limit = current_app.config["PORTAL_DCI_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise dci.HttpError(413, "err.request.bad", f"the body is larger than {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise dci.HttpError(413, "err.request.bad", f"the body is larger than {limit} bytes")
    if request.mimetype != "application/json":
        raise dci.HttpError(415, "err.request.bad", "the body must be application/json")
    try:
        body = read_json(raw)
    except JsonBodyError as exc:  # the general words first, then the reader's precise reason
        raise dci.HttpError(400, "err.request.bad", "the body is not valid JSON",
                            errors=[{"code": "err.request.bad", "message": "the body is not valid JSON"},
                                    {"code": "err.request.bad", "message": str(exc)}]) from None
    if not isinstance(body, dict):
        raise dci.HttpError(400, "err.request.bad", "the body must be a JSON object")
    if isinstance(body.get("header"), dict) and isinstance(body["header"].get("message_id"), str):
        g.dci_message_id = body["header"]["message_id"][:200]
    return body, raw


def _body_hash(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------------
# Enrollment push


@api_bp.post("/dci/enrollment")
def enrollment():
    started = time.perf_counter()
    client = None
    try:
        client = _bearer_client()
        body, _raw = _json_body()
        if "header" in body or "message" in body:
            message = dci_enrollment.parse_enrollment(body, client.name,
                                           current_app.config["PORTAL_DCI_MAX_RECORDS"])
        else:
            reference, person = dci_enrollment.parse_individual(body)
            key = request.headers.get("Idempotency-Key", "").strip()[:150] or f"individual:{reference}"
            message = dci_enrollment.Message("individual", key, client.name, None, {},
                                  [dci_enrollment.Beneficiary(0, reference, individual=person)])
    except dci.HttpError as exc:
        return _http_error(exc, client)
    except dci.RejectedError as exc:
        return _rejected(exc, body, client, "on-" + str(body.get("header", {}).get("action") or "notify"))
    answer, status = receive(client, message, body)
    inner = answer.get("message")  # an envelope's answer; a plain individual's is the item itself
    log.info("dci enrollment received", extra={"client": client.name, "message_id": _loggable_id(message),
                                               "correlation_id": (inner if isinstance(inner, dict) else answer)
                                               .get("correlation_id") or None,
                                               "kind": message.kind, "items": len(message.beneficiaries),
                                               "status": status,
                                               "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    return jsonify(answer), status


def _loggable_id(message):
    """The envelope's message_id (the sender's own id of the message). A plain individual's key is made of their
    registration id (`individual:National ID:NP-…`) unless the sender gave an Idempotency-Key: not logged."""
    return message.message_id if message.kind == "envelope" else None


def receive(client, message, body):
    """Store the message, create its batch, answer; the same message twice gets the first answer."""
    body_hash = _body_hash(body)

    def store_once():
        stored = db.session.scalar(select(DciMessage).where(DciMessage.sender_id == message.sender_id,
                                                            DciMessage.message_id == message.message_id))
        if stored is None:
            return _accept(client, message, body, body_hash)
        if stored.body_hash == body_hash or message.kind == "individual":
            return _replay(stored, message)
        exc = dci.RejectedError("rjct.message_id.duplicate", "this message_id was already used for another message",
                                status=409)
        log.warning("dci message rejected", extra={"code": exc.reason_code, "client": client.name,
                                                   "message_id": _loggable_id(message)})
        return dci.rejection(body, exc, our_id(), "on-" + str(message.header.get("action") or "notify")), 409

    # the same message arriving twice at once: the second sees the first's row and replays its answer
    return commit_or_retry_once(store_once)


def _known_items(sender_id, references):
    """The latest item this sender already pushed for each reference id."""
    known = {}
    for chunk in batches.chunks(references):
        rows = db.session.scalars(
            select(EnrollmentItem).join(EnrollmentBatch, EnrollmentBatch.id == EnrollmentItem.batch_id)
            .where(EnrollmentBatch.sender_id == sender_id, EnrollmentItem.reference_id.in_(chunk))
            .order_by(EnrollmentItem.id)
        )
        known.update({item.reference_id: item for item in rows})
    return known


def _item_status(item, accepted_now=False):
    if accepted_now and item.status == "waiting":
        return dci.item_response(item.reference_id, "rcvd")
    status = STATUS_OF_ITEM.get(item.status, "pdng")
    return dci.item_response(item.reference_id, status, item.error, chf_id=item.chf_id)


def _accept(client, message, body, body_hash):
    valid = [b for b in message.beneficiaries if b.problem is None]
    known = _known_items(message.sender_id, [b.reference_id for b in valid])
    entries = [(b.individual, {}, b.reference_id) for b in valid if b.reference_id not in known]
    batch = None
    if entries:
        config = current_app.config
        batch = batches.create_batch(
            source="dci", created_by=client.name, sender_id=message.sender_id, entries=entries,
            product=(None, config["PORTAL_DCI_PRODUCT_CODE"], None),
            officer=(None, config["PORTAL_DCI_OFFICER_CODE"], None),
            enroll_date=utcnow().date(), location_id=config.get("PORTAL_DCI_LOCATION_ID"),
        )
        db.session.flush()
        new_items = {item.reference_id: item for item in db.session.scalars(
            select(EnrollmentItem).where(EnrollmentItem.batch_id == batch.id))}
    else:
        new_items = {}
    responses = []
    for b in message.beneficiaries:
        if b.problem is not None:
            responses.append(dci.item_response(b.reference_id, "rjct", b.problem, reason_code=b.reason_code))
        elif b.reference_id in new_items:
            responses.append(_item_status(new_items[b.reference_id], accepted_now=True))
        else:
            responses.append(_item_status(known[b.reference_id]))
    correlation_id = batch.correlation_id if batch else (next(iter(known.values())).batch.correlation_id
                                                          if known else "")
    if message.kind == "individual":
        answer, status = dict(responses[0], correlation_id=correlation_id), 200
    else:
        answer = dci.enrollment_answer(message.header, message.transaction_id, correlation_id, responses, our_id())
        status = 400 if answer["header"]["status"] == "rjct" else 200
    db.session.add(DciMessage(api_client_id=client.id, sender_id=message.sender_id, message_id=message.message_id,
                              transaction_id=message.transaction_id, kind=message.kind, body_hash=body_hash,
                              body=body, answer=answer, answer_status=status, batch_id=batch.id if batch else None))
    db.session.flush()
    return answer, status


def _replay(stored, message):
    """The first answer again, with each item's current status (processing is never repeated)."""
    answer = json.loads(json.dumps(stored.answer))
    references = [b.reference_id for b in message.beneficiaries if b.problem is None and b.reference_id]
    known = _known_items(message.sender_id, references)
    if stored.kind == "individual":
        item = known.get(answer.get("reference_id"))
        if item is not None:
            answer.update(_item_status(item), correlation_id=answer.get("correlation_id", ""))
        return answer, stored.answer_status
    for entry in answer.get("message", {}).get("enrolled_response", []):
        item = known.get(entry.get("reference_id"))
        if item is not None and "status_reason_code" not in entry:  # not refused by validation: show progress
            entry.update(_item_status(item))
    return answer, stored.answer_status


# ---------------------------------------------------------------------------------------------------
# Transaction status


@api_bp.post("/dci/txn/status")
def txn_status():
    client = None
    try:
        client = _bearer_client()
        body, _raw = _json_body()
        transaction_id, attribute_type, value, _reference = dci.parse_txn_status(body, client.name)
    except dci.HttpError as exc:
        return _http_error(exc, client)
    except dci.RejectedError as exc:
        return _rejected(exc, body, client, "txn-on-status")
    items, unknown = _items_for(client.name, attribute_type, value)
    beneficiaries = [_status_entry(item) for item in items]
    beneficiaries += [dict(dci.item_response(ref, "rjct", "unknown reference_id",
                                             reason_code="rjct.reference_id.invalid")) for ref in unknown]
    correlation_ids = {item.batch.correlation_id for item in items}
    header = dci.callback_header(body["header"], our_id=our_id(), action="txn-on-status", status="succ",
                                 total=len(beneficiaries),
                                 completed=sum(1 for b in beneficiaries if b["status"] in ("succ", "rjct")))
    answer = {"header": header, "message": {
        "transaction_id": transaction_id,
        "correlation_id": correlation_ids.pop() if len(correlation_ids) == 1 else "",
        "txnstatus_response": {"txn_type": "receipt", "txn_status": {
            "transaction_id": value if attribute_type == "transaction_id" else transaction_id,
            "receipt_information": {"receipt_type": "enrollment", "beneficiaries": beneficiaries},
        }},
    }}
    log.info("dci txn status", extra={"client": client.name, "items": len(beneficiaries)})
    return jsonify(answer)


def _items_for(sender_id, attribute_type, value):
    query = (select(EnrollmentItem).join(EnrollmentBatch, EnrollmentBatch.id == EnrollmentItem.batch_id)
             .where(EnrollmentBatch.sender_id == sender_id).order_by(EnrollmentItem.id).limit(5000))
    if attribute_type == "correlation_id":
        return list(db.session.scalars(query.where(EnrollmentBatch.correlation_id == value))), []
    if attribute_type == "transaction_id":
        batch_ids = select(DciMessage.batch_id).where(DciMessage.sender_id == sender_id,
                                                      DciMessage.transaction_id == value)
        return list(db.session.scalars(query.where(EnrollmentItem.batch_id.in_(batch_ids)))), []
    latest = _known_items(sender_id, value)
    return [latest[ref] for ref in value if ref in latest], [ref for ref in value if ref not in latest]


def _status_entry(item):
    batch = item.batch
    entry = _item_status(item)
    entry["enrolment_status"] = {"done": "Active", "failed": "Failed", "duplicate": "Duplicate"}.get(
        item.status, "Pending")
    entry["programme_identifier"] = {
        "programme": {"programme_identifier": batch.product_code, "programme_name": batch.product_name or ""},
        "enrolment_date": batch.enroll_date.isoformat(),
    }
    return entry


@api_bp.errorhandler(OperationalError)
def database_unavailable(_exc):
    db.session.rollback()
    log.error("dci api: database unavailable", extra={"route": request.path})
    return jsonify({"errors": [{"code": "err.service.unavailable", "message": "try again later"}]}), 503
