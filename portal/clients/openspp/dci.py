"""DCI envelopes, both ways: the sync search request the client sends and the answer it reads; the enrollment API's
headers (what openSPP may push to `POST /api/dci/enrollment`), its callback answers and the transaction status query.
The bodies of pushed enrollments are read in enrollment.py.

Errors of a pushed message, most general first (every one also gets a log line in portal/enrollment/api.py):
- transport problems (not JSON, not an object, no message_id, unusable sender, encrypted message, a bad
  beneficiary list, a bad plain body) → HTTP 400 `HttpErrorResponse` `{"errors":[{"code":"err.…","message"}]}`
  with the spec's Error codes (`err.request.bad`, `err.sender_id.invalid`, `err.encryption.invalid`);
- header problems → HTTP 400 callback envelope (the header only for a status query), `header.status` "rjct"
  and `status_reason_code` from MsgHeaderStatusReasonCode (`rjct.version.invalid`, `rjct.message_ts.invalid`,
  `rjct.action.invalid`, `rjct.action.not_supported`, `rjct.total_count.invalid`,
  `rjct.total_count.limit_exceeded`; a reused message_id with another body is 409 `rjct.message_id.duplicate`);
- a bad beneficiary (enrollment.py) → that item "rjct" in `enrolled_response` (`rjct.reference_id.invalid`,
  `rjct.reference_id.duplicate`, or a message naming the field: missing, wrong type, bad date); when every
  item is rejected the header says `rjct.errors.too_many`.
"""

import re
import uuid
from datetime import UTC, date, datetime

from portal.clients.errors import PermanentPeerError

from .errors import (PEER, SEARCH_ERROR, SEARCH_FAILED, SEARCH_REJECTED, StaffText, dci_error, error_code,
                     shape_error, what_came)
from .individuals import individual_from_dci, text

DCI_REG_TYPE = "SPP:RegistryType:Individual"  # spp_dci_api_server REG_TYPE_CHOICES
VERSION = "1.0.0"
ENROLL_ACTIONS = ("notify", "register")  # IBR spec / official IBR sample
TXN_STATUS_ACTIONS = ("txn-status",)
# Actions of the DCI APIs that exist but are not served by these routes.
KNOWN_ACTIONS = {
    "search", "on-search", "subscribe", "on-subscribe", "unsubscribe", "on-unsubscribe", "notify", "on-notify",
    "txn-status", "txn-on-status", "register", "on-register", "update", "on-update", "link", "unlink",
    "resolve", "issue", "verify", "disburse", "enroll", "enrolled",
}
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
DATE_OR_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
MAX_TRANSACTION_ID = 99  # IBR and registry-core `TransactionId` / `correlation_id`: maxLength 99 (answers echo them)


class HttpError(Exception):
    """Answer with the spec's HttpErrorResponse."""

    def __init__(self, status, code, message, errors=None):
        super().__init__(message)
        self.status, self.code = status, code
        self.errors = errors or [{"code": code, "message": message}]

    def body(self):
        return {"errors": self.errors}


class RejectedError(Exception):
    """Answer with a callback envelope whose header is "rjct"."""

    def __init__(self, reason_code, message, status=400):
        super().__init__(message)
        self.reason_code, self.status = reason_code, status


def now_iso():
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------------
# The sync search (outbound)


def search_request(query_type, query, *, sender_id, receiver_id, page_size, page_number=None):
    """The sync search request: the SPDCI registry-core (and social registry) `/registry/sync/search` body,
    checked against those documents by tests/unit/test_openspp_dci_search_request_follows_the_spdci_openapi.py.
    openSPP 17's own deviations stay (notes openspp-openimis.md §1.2): it accepts only `reg_type`
    "SPP:RegistryType:Individual" and `query_type` "predicate", lists everyone for the predicate `[]`, and
    ignores `pagination`; all are valid values of the standard's open types. No `signature` is sent."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    criteria = {"version": "1.0.0", "reg_type": DCI_REG_TYPE, "query_type": query_type, "query": query}
    if page_number is not None:
        # openSPP 17 ignores it; a server that pages (DCI spec, OpenSPP 2) honours it.
        criteria["pagination"] = {"page_size": page_size, "page_number": page_number}
    return {
        "header": {"version": "1.0.0", "message_id": str(uuid.uuid4()), "message_ts": now, "action": "search",
                   "sender_id": sender_id, "receiver_id": receiver_id, "total_count": 1,
                   "is_msg_encrypted": False},
        "message": {"transaction_id": str(uuid.uuid4()), "search_request": [{
            "reference_id": str(uuid.uuid4()), "timestamp": now, "search_criteria": criteria, "locale": "eng",
        }]},
    }


def read_search_answer(data):
    """(records, pagination or None) from a sync search answer; PermanentPeerError for an error answer or
    for any shape other than the DCI envelope `{header, message: {search_response: [{data: {reg_records}}]}}`
    (registry-core `SearchResponse`; openSPP 17 `spp_dci_api_server` answers it without pagination)."""
    error = dci_error(data)
    if error is not None:
        code, said = error
        template = SEARCH_ERROR if code else SEARCH_FAILED
        raise PermanentPeerError(StaffText(template, code=code, message=said), peer=PEER, code=code)
    if not isinstance(data, dict):
        raise shape_error("{header, message}", what_came(data, "the answer"))
    header, message = data.get("header"), data.get("message")
    if isinstance(message, dict) and "ack_status" in message:  # ACK: an asynchronous answer will follow
        raise shape_error("message.search_response[]", f"message.ack_status {str(message['ack_status'])[:20]}")
    if not isinstance(header, dict) or not isinstance(message, dict):
        raise shape_error("{header, message}", what_came(data, "the answer"))
    if header.get("status") == "rjct":
        code = error_code(header.get("status_reason_code"))
        raise PermanentPeerError(StaffText(SEARCH_REJECTED, code=code or "",
                                           message=text(header.get("status_reason_message")) or ""),
                                 peer=PEER, code=code)
    items = message.get("search_response")
    if not isinstance(items, list):
        raise shape_error("message.search_response[]", what_came(message, "message"))
    records, pagination = [], None
    for n, item in enumerate(items):
        where = f"message.search_response[{n}]"
        if not isinstance(item, dict):
            raise shape_error(f"{where} as an object", what_came(item, where))
        if item.get("status") == "rjct":
            code = error_code(item.get("status_reason_code"))
            raise PermanentPeerError(StaffText(SEARCH_REJECTED, code=code or "",
                                               message=text(item.get("status_reason_message")) or ""),
                                     peer=PEER, code=code)
        data_part = item.get("data")
        if not isinstance(data_part, dict) or not isinstance(data_part.get("reg_records"), list):
            raise shape_error(f"{where}.data.reg_records[]", what_came(item, where))
        for m, row in enumerate(data_part["reg_records"]):
            if not isinstance(row, dict) or "identifier" not in row:
                raise shape_error(f"{where}.data.reg_records[{m}].identifier",
                                  what_came(row, f"{where}.data.reg_records[{m}]"))
            try:
                records.append(individual_from_dci(row))
            except ValueError:
                continue  # an identifier list without a usable value: openSPP 17 skips such people too
        if isinstance(item.get("pagination"), dict):
            pagination = item["pagination"]
    return records, pagination


# ---------------------------------------------------------------------------------------------------
# Header of a pushed message


def check_header(body, sender_name, actions):
    """Validate the envelope's header; returns (message_id, sender_id)."""
    header = body.get("header")
    if not isinstance(header, dict):
        raise HttpError(400, "err.request.bad", "header is required and must be an object")
    message_id = header.get("message_id")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 200:
        raise HttpError(400, "err.request.bad", "header.message_id is required (a string of at most 200 characters)")
    sender_id = header.get("sender_id")
    if not isinstance(sender_id, str) or not sender_id.strip():
        raise HttpError(400, "err.sender_id.invalid", "header.sender_id is required")
    if sender_id != sender_name:
        raise HttpError(403, "err.sender_id.invalid", "header.sender_id is not the sender registered for this client")
    if header.get("is_msg_encrypted") is True:
        raise HttpError(400, "err.encryption.invalid", "encrypted messages are not supported")
    if "message" not in body or not isinstance(body.get("message"), dict):
        raise HttpError(400, "err.request.bad", "message is required and must be an object")
    version = header.get("version", VERSION)
    if version != VERSION:
        raise RejectedError("rjct.version.invalid", f"header.version must be {VERSION}")
    stamp = header.get("message_ts")
    if not isinstance(stamp, str) or not DATE_TIME.match(stamp) or not _valid_datetime(stamp):
        raise RejectedError("rjct.message_ts.invalid",
                            "header.message_ts must be an ISO 8601 date-time with a timezone")
    action = header.get("action")
    if not isinstance(action, str) or not action:
        raise RejectedError("rjct.action.invalid", "header.action is required")
    if action not in actions:
        if action in KNOWN_ACTIONS:
            raise RejectedError("rjct.action.not_supported",
                           f"action {action!r} is not supported here (use {' or '.join(actions)})")
        raise RejectedError("rjct.action.invalid", f"action {action!r} is not a DCI action")
    return message_id, sender_id


def total_count(header):
    """header.total_count as an int (the official sample sends the string "1"), or None if malformed."""
    value = header.get("total_count")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _valid_datetime(text):
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def valid_date(text, pattern=DATE_OR_DATE_TIME):
    """True for a real date (or date-time) written as `pattern` allows."""
    if not isinstance(text, str) or not pattern.match(text):
        return False
    try:
        date.fromisoformat(text[:10])
        return True
    except ValueError:
        return False


def check_transaction_id(message):
    """HttpError unless message.transaction_id is a string the answers can echo."""
    value = message.get("transaction_id")
    if not isinstance(value, str) or len(value) > MAX_TRANSACTION_ID:
        raise HttpError(400, "err.request.bad",
                        f"message.transaction_id is required (a string of at most {MAX_TRANSACTION_ID} characters)")


# ---------------------------------------------------------------------------------------------------
# Answers


def callback_header(header, *, our_id, action, status, reason_code=None, reason_message=None, total=None,
                    completed=None):
    """MsgCallbackHeader_V1.0.0 answering `header` (the request's, possibly partial)."""
    result = {
        "version": VERSION,
        "message_id": header.get("message_id") if isinstance(header.get("message_id"), str) else "",
        "message_ts": now_iso(),
        "action": action,
        "status": status,
        "sender_id": our_id,
        "receiver_id": header.get("sender_id") if isinstance(header.get("sender_id"), str) else "",
        "is_msg_encrypted": False,
    }
    if reason_code:
        result["status_reason_code"] = reason_code
    if reason_message:
        result["status_reason_message"] = reason_message[:999]
    if total is not None:
        result["total_count"] = total
    if completed is not None:
        result["completed_count"] = completed
    return result


def rejection(body, exc, our_id, action):
    header = body.get("header") if isinstance(body.get("header"), dict) else {}
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    transaction_id = message.get("transaction_id")
    if not isinstance(transaction_id, str) or len(transaction_id) > MAX_TRANSACTION_ID:
        transaction_id = ""
    answer = {"header": callback_header(header, our_id=our_id, action=action, status="rjct",
                                        reason_code=exc.reason_code, reason_message=str(exc))}
    if action != "txn-on-status":
        # A refused status query has no TxnStatusResponse to give (it needs `txnstatus_response`); the IBR
        # document's `/registry/sync/txn/status` answer requires only the header.
        answer["message"] = {"transaction_id": transaction_id, "correlation_id": "", "enrolled_response": []}
    return answer


def item_response(reference_id, status, message=None, reason_code=None, chf_id=None):
    entry = {"reference_id": reference_id or "", "timestamp": now_iso(), "status": status}
    if reason_code:
        entry["status_reason_code"] = reason_code
    if message:
        entry["status_reason_message"] = message[:999]
    if chf_id:
        entry["insurance_number"] = chf_id
    return entry


def enrollment_answer(header, transaction_id, correlation_id, responses, our_id):
    rejected = sum(1 for r in responses if r["status"] == "rjct")
    if responses and rejected == len(responses):
        head = callback_header(header, our_id=our_id, action="on-" + header.get("action", "notify"), status="rjct",
                               reason_code="rjct.errors.too_many", reason_message="every beneficiary was rejected",
                               total=len(responses), completed=0)
    else:
        head = callback_header(header, our_id=our_id, action="on-" + header.get("action", "notify"), status="rcvd",
                               reason_message=f"{rejected} of {len(responses)} beneficiaries rejected" if rejected
                               else None, total=len(responses),
                               completed=sum(1 for r in responses if r["status"] == "succ"))
    return {"header": head, "message": {"transaction_id": transaction_id, "correlation_id": correlation_id,
                                         "enrolled_response": responses}}


# ---------------------------------------------------------------------------------------------------
# Transaction status


def parse_txn_status(body, sender_name):
    """(message_id, transaction_id, attribute_type, attribute_value, reference_id) or HttpError / RejectedError."""
    check_header(body, sender_name, TXN_STATUS_ACTIONS)
    message = body["message"]
    check_transaction_id(message)
    request = message.get("txnstatus_request")
    if not isinstance(request, dict):
        raise HttpError(400, "err.request.bad", "message.txnstatus_request is required and must be an object")
    for key in ("reference_id", "txn_type", "attribute_type"):
        if not isinstance(request.get(key), str) or not request[key]:
            raise HttpError(400, "err.request.bad", f"message.txnstatus_request.{key} is required (a string)")
    if request["txn_type"] not in ("search", "subscibe", "receipt"):
        raise HttpError(400, "err.request.bad",
                        "message.txnstatus_request.txn_type must be search, subscibe or receipt")
    if request["txn_type"] != "receipt":
        raise RejectedError("rjct.action.not_supported", "only receipt (enrollment) transactions are kept here")
    attribute_type, value = request["attribute_type"], request.get("attribute_value")
    if attribute_type == "reference_id_list":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise HttpError(400, "err.request.bad", "attribute_value must be a non-empty array of reference ids")
    elif attribute_type in ("transaction_id", "correlation_id"):
        if not isinstance(value, str) or not value or len(value) > MAX_TRANSACTION_ID:
            raise HttpError(400, "err.request.bad", f"attribute_value must be the {attribute_type} (a string of at "
                                                    f"most {MAX_TRANSACTION_ID} characters)")
    else:
        raise HttpError(400, "err.request.bad",
                        "message.txnstatus_request.attribute_type must be transaction_id, reference_id_list or "
                        "correlation_id")
    return message["transaction_id"], attribute_type, value, request["reference_id"]
