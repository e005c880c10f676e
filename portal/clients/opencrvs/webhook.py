"""An OpenCRVS webhook delivery, checked and parsed before anything is stored (pure: no Flask, no I/O).

* `verify_opencrvs_signature` checks `X-Hub-Signature` the way OpenCRVS core computes it
  (`opencrvs-core` `packages/webhooks/src/features/event/service.ts` `createRequestSignature`):
  `sha256=` + hex HMAC-SHA256(key = the system's sha_secret, message = `"sha256:" +
  encodeURIComponent(body)`), where `body` is the exact `JSON.stringify(payload)` text sent. It is NOT an
  HMAC of the raw body (the W3C WebSub form), so a generic verifier rejects every real delivery
  (specs/notes/crvs-mosip.md §6.1, §8).
* `parse_event` reads a webhook delivery `{"timestamp", "id", "event": {"hub": {"topic"}, "context":
  [Bundle]}}` into a `CrvsEvent`, the event the pipeline stores; interop.py reads the OpenCRVS v1.9 interop
  call into the same `CrvsEvent`.

Both raise `IntakeError(status, message)`: 400 for a body that is not the expected JSON envelope, 422 for a
well-formed envelope the pipeline cannot use (unknown topic, bundle without the needed resources, a record MOSIP
could not take: `portal.clients.mosip.identity` decides). The messages name fields, never values, so they can be
logged and returned as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from portal.clients.mosip.identity import identity_fields
from portal.jsonbody import JsonBodyError, read_json

from . import fhir

BIRTH_TOPICS = ("BIRTH_REGISTERED", "BIRTH_CORRECTED")
DEATH_TOPICS = ("DEATH_REGISTERED", "DEATH_CORRECTED")
CORRECTION_TOPICS = ("BIRTH_CORRECTED", "DEATH_CORRECTED")
# The OpenCRVS webhook triggers the pipeline handles (`TRIGGERS` of opencrvs-core's webhooks model also has
# BIRTH_CERTIFIED / DEATH_CERTIFIED, which carry nothing for MOSIP).
SUPPORTED_TOPICS = BIRTH_TOPICS + DEATH_TOPICS

# encodeURIComponent leaves A-Z a-z 0-9 and - _ . ! ~ * ' ( ) alone; quote() always keeps _.-~ and the
# alphanumerics, so these are the extra safe characters.
_URI_COMPONENT_SAFE = "!*'()"
_SIGNATURE_HEADER = re.compile(r"^\s*sha256=([0-9A-Fa-f]{64})\s*$")


class IntakeError(ValueError):
    """A refused delivery: `status` is the HTTP answer, `message` says why without personal data."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CrvsEvent:
    """One OpenCRVS event, ready to be stored and turned into a MOSIP packet."""

    source: str  # "webhook" (OpenCRVS 1.2-1.8 webhooks) | "interop" (OpenCRVS 1.9 interop call)
    topic: str  # BIRTH_REGISTERED, DEATH_REGISTERED, BIRTH_CORRECTED, DEATH_CORRECTED
    kind: str  # "birth" | "death"
    event_id: str  # idempotency key: the same OpenCRVS event always gives the same key
    tracking_id: str | None
    registration_number: str | None
    mosip_aid: str | None
    deceased_national_id: str | None
    record: fhir.Record | None = None  # webhook only: the bundle's people
    webhook_id: str | None = None  # webhook only: OpenCRVS's subscription id (same for every delivery)
    timestamp: str | None = None
    opencrvs_event_id: str | None = None  # interop only: the record id and pending action from the JWT
    action_id: str | None = None
    request_fields: Mapping[str, str] | None = None  # interop only: MOSIP fields as OpenCRVS sent them
    meta_info: Mapping = field(default_factory=dict)
    audit: Mapping = field(default_factory=dict)
    payload: Mapping = field(default_factory=dict, repr=False)  # the parsed body
    body_text: str | None = field(default=None, repr=False)  # the body as received, stored as is when given

    @property
    def is_correction(self) -> bool:
        return self.topic in CORRECTION_TOPICS

    def fields(self, **options) -> dict[str, str]:
        """The packet's `fields`: mapped from the bundle (options go to `mosip.identity_fields`), or the
        interop call's own `requestFields`."""
        if self.request_fields is not None:
            return dict(self.request_fields)
        return identity_fields(self.record, **options)


# ---------------------------------------------------------------------------------------------------------
# Signature


# encodeURIComponent is on the hot path of webhook intake (bench/intake.py): one str.replace per escaped
# character present takes 0.19 ms on a 17 KB bundle, where urllib's quote() (a Python step per byte) takes
# 0.42 ms and a byte table 0.28 ms.
_ESCAPED = {chr(b): f"%{b:02X}" for b in range(256)}
# The printable ASCII characters it escapes, "%" first so that the escapes added after it keep their "%".
_ESCAPED_ASCII = "%" + "".join(c for c in map(chr, range(0x20, 0x7F))
                               if not (c.isalnum() or c in _URI_COMPONENT_SAFE + "-_.~%"))
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def encode_uri_component(text: str | bytes) -> str:
    """`encodeURIComponent(text)` as JavaScript computes it (UTF-8, unreserved characters kept); bytes are
    taken as the UTF-8 text they hold."""
    raw = text if isinstance(text, (bytes, bytearray)) else text.encode("utf-8")
    chars = raw.decode("latin-1")  # one character per UTF-8 byte
    for char in _ESCAPED_ASCII:
        if char in chars:
            chars = chars.replace(char, _ESCAPED[char])
    for byte in set(raw.translate(None, _PRINTABLE_ASCII)):  # control characters, bytes of non-ASCII ones
        chars = chars.replace(chr(byte), _ESCAPED[chr(byte)])
    return chars


def opencrvs_signature(raw_body: bytes | str, secret: str) -> str:
    """The `X-Hub-Signature` value OpenCRVS sends for this body."""
    message = "sha256:" + encode_uri_component(raw_body)
    digest = hmac.new(secret.encode("utf-8"), message.encode("ascii"), hashlib.sha256).hexdigest()
    return "sha256=" + digest


def verify_opencrvs_signature(raw_body: bytes | str, header: str | None, secret: str | None) -> bool:
    """True when `header` is the signature OpenCRVS computes for `raw_body` with `secret` (constant time).
    A body that is not UTF-8 cannot match: OpenCRVS signs the JSON.stringify text it sends."""
    if not secret or not header:
        return False
    match = _SIGNATURE_HEADER.match(header)
    if not match:
        return False
    expected = opencrvs_signature(raw_body, secret)
    return hmac.compare_digest(expected[len("sha256="):], match.group(1).lower())


# ---------------------------------------------------------------------------------------------------------
# Webhook delivery


def parse_event(payload: bytes | str | Mapping, *, topics: tuple[str, ...] = SUPPORTED_TOPICS) -> CrvsEvent:
    """Parse one webhook delivery (raw body or decoded JSON) into a `CrvsEvent`, or raise `IntakeError`."""
    body, text = json_object(payload)
    webhook_id = text_field(body, "id", "id", status=400)
    timestamp = text_field(body, "timestamp", "timestamp", status=400)
    event = body.get("event")
    if not isinstance(event, Mapping):
        raise IntakeError(400, "the body has no 'event' object")
    hub = event.get("hub")
    topic = hub.get("topic") if isinstance(hub, Mapping) else None
    if not isinstance(topic, str) or not topic:
        raise IntakeError(400, "the body has no 'event.hub.topic'")
    if topic not in topics:
        raise IntakeError(422, f"unsupported topic {topic[:64]!r}; expected one of {', '.join(topics)}")
    context = event.get("context")
    if not isinstance(context, list) or not context or not isinstance(context[0], Mapping):
        raise IntakeError(422, "'event.context' holds no FHIR bundle")

    kind = "birth" if topic in BIRTH_TOPICS else "death"
    bundle = context[0]
    try:
        said = fhir.bundle_kind(bundle)
        if said is not None and said != kind:
            raise IntakeError(422, f"topic {topic} but the bundle's Task is a {said} record")
        record = fhir.read_bundle(bundle, kind=kind)
        identity_fields(record)  # refuse now what could never become a packet
    except fhir.BundleError as exc:  # names the field, or the path of a value of the wrong JSON type
        raise IntakeError(422, str(exc)) from None

    key = record.record_id or record.tracking_id
    if not key:
        raise IntakeError(422, "the bundle has neither a record id (Task.focus Composition) nor a tracking id")
    event_id = f"{topic}:{key}"
    if topic in CORRECTION_TOPICS:
        # A record is registered once but may be corrected many times: each Task version is one event.
        event_id += f":{record.version or timestamp or ''}"
    check_lengths(event_id=event_id, tracking_id=record.tracking_id,
                   registration_number=record.registration_number, mosip_aid=record.mosip_aid)

    return CrvsEvent(
        source="webhook",
        topic=topic,
        kind=kind,
        event_id=event_id,
        tracking_id=record.tracking_id,
        registration_number=record.registration_number,
        mosip_aid=record.mosip_aid,
        deceased_national_id=record.deceased_national_id,
        record=record,
        webhook_id=webhook_id,
        timestamp=timestamp,
        payload=body,
        body_text=text,
    )


# The longest value the packet's columns hold (portal/packets/models.py): refused here with a precise
# message, so that no database answers it with an error of its own (SQLite would even store it whole).
_MAX_LENGTHS = {"event_id": ("record id", 200), "tracking_id": ("tracking id", 64),
                "registration_number": ("registration number", 64), "mosip_aid": ("MOSIP AID", 64),
                "opencrvs_event_id": ("event id", 128), "action_id": ("action id", 128)}


def check_lengths(**values):
    """IntakeError 422 for a value longer than its packet column."""
    for name, value in values.items():
        label, limit = _MAX_LENGTHS[name]
        if value is not None and len(value) > limit:
            raise IntakeError(422, f"the {label} is longer than {limit} characters")


def json_object(payload):
    """(the JSON object, its text when `payload` was text) or IntakeError."""
    text = None
    if isinstance(payload, (bytes, bytearray, str)):
        try:
            text = payload.decode("utf-8") if isinstance(payload, (bytes, bytearray)) else payload
        except UnicodeDecodeError:
            raise IntakeError(400, "the body is not UTF-8 text") from None
        if not text.strip():
            raise IntakeError(400, "the body is empty")
        try:
            payload = read_json(text)
        except JsonBodyError as exc:
            raise IntakeError(400, str(exc)) from None
    if not isinstance(payload, Mapping):
        raise IntakeError(400, "the body must be a JSON object")
    return payload, text


def nonempty_string(value):
    """`value` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def text_field(node, key, path, status=422):
    """`node[key]` when it is a non-empty text; None when absent, null or empty; IntakeError naming `path` when
    it is another JSON type (an object, a list, a number, a boolean)."""
    value = node.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise IntakeError(status, f"'{path}' is {fhir.json_kind(value)}, expected a text")
