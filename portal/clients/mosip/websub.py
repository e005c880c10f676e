"""What MOSIP's WebSub hub delivers: the `X-Hub-Signature` check of a delivery and the `CREDENTIAL_ISSUED` event
read into a `CredentialEvent`. Pure functions: no I/O (subscribing is the client's, decrypting `credentials.py`'s).

Wire facts: `specs/notes/crvs-mosip.md` §4.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field

HMAC_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def verify_hub_signature(secret, body, header):
    """True if `header` is a valid `X-Hub-Signature` of the raw `body` bytes (sha1/256/384/512)."""
    if not secret or not header or "=" not in header:
        return False
    method, _, received = header.strip().partition("=")
    digest = HMAC_METHODS.get(method.strip().lower())
    if digest is None or not received:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    # as bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, not a False)
    return hmac.compare_digest(expected.encode(), received.strip().lower().encode("utf-8", "replace"))


@dataclass(frozen=True)
class CredentialEvent:
    event_id: str
    transaction_id: str | None
    topic: str | None
    publisher: str | None
    published_on: str | None
    registration_id: str | None
    credential_type: str | None
    credential: str | None  # the encrypted credential, when inline
    data_share_uri: str | None
    data: dict = field(default_factory=dict, repr=False)
    registration_number: str | None = None  # `opencrvsBRN`: the OpenCRVS registration number (mosip-opencrvs)
    opencrvs_id: str | None = None  # `opencrvsId`: the same number under its 2022 name (opencrvs-print reads it)


# The longest texts the columns that keep them hold (portal/packets/models.py `InboundEvent.key`, `.topic`):
# longer is refused with the field's name, not left to the database (PostgreSQL refuses, SQLite keeps it whole).
MAX_LENGTHS = {"event.id": 200, "topic": 120}


def _kind(value):
    """What a JSON value is, in a refusal's words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "an object", list: "a list", str: "a text"}.get(type(value), type(value).__name__)


def _text(node, key, path):
    """`node[key]` when it is a text (None when absent or null); ValueError naming `path` for another type, a
    text longer than its column, a NUL."""
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{path} is {_kind(value)}, expected a text")
    limit = MAX_LENGTHS.get(path)
    if limit is not None and len(value) > limit:
        raise ValueError(f"{path} is longer than {limit} characters")
    if "\x00" in value:  # PostgreSQL stores no NUL in text (read_json refuses it in a body already)
        raise ValueError(f"{path} holds a NUL character")
    return value


def _identifier(data, name):
    """`event.data[name]` as a trimmed string, also when a publisher nested it under `additionalData`. A value of
    another type names no record: it is ignored, and the credential is matched on its other keys (its RID, its UIN),
    rather than the whole credential refused (tests/unit/test_mosip_credential_identifiers.py)."""
    nested = data.get("additionalData") if isinstance(data.get("additionalData"), dict) else {}
    for value in (data.get(name), nested.get(name)):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def parse_credential_event(raw):
    """A `<partner>/CREDENTIAL_ISSUED` delivery (bytes, str or dict) -> CredentialEvent; ValueError if malformed.

    What names the record, by who sends it (each read in the peer's code):
    * MOSIP's credential service puts the credential request's `additionalData` into `event.data` beside
      `credential`, `proof`, `credentialType`, `protectionKey` (mosip/id-repository credential-service
      `CredentialStoreServiceImpl.getEventModel`); `event.transactionId` is the credential request id.
    * MOSIP's OpenCRVS stage asks for the credential of the person's perpetual VID with
      `additionalData: {opencrvsBRN}`, read from the packet's metaInfo label `opencrvsBRN`; it sends no RID
      (mosip/mosip-opencrvs `registration-processor-opencrvs-stage` `OpencrvsStage`); its mediator reads
      `event.data.opencrvsBRN` (`mediator` `dto/WebsubRequest`). Until 2022-08 (commit c4b239c) the same number
      was called `opencrvsId`, the name the print service still reads (`opencrvs-print` `PrintServiceImpl`).
    * OpenCRVS's own mosip-api expects `event.data.registrationId` and takes the record's transaction id from
      the tail of `credentialSubject.id` (opencrvs/mosip `packages/mosip-api/src/routes/websub-credential-issued.ts`).

    Every field read here has its JSON type checked: texts, as MOSIP's model declares them (mosip/commons
    kernel-core `io.mosip.kernel.core.websub.model.EventModel` and `Event`: `String` fields, `data` a map). A
    wrong type is a ValueError naming the field, never a TypeError later nor a value no column can store; only the
    record's identifiers, matching keys among others, are ignored when they are no text or whole number.
    """
    payload = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), dict):
        raise ValueError("not a WebSub event: no `event` object")
    event = payload["event"]
    data = event.get("data")
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        raise ValueError(f"event.data is {_kind(data)}, expected an object")
    event_id = _text(event, "id", "event.id")
    if not event_id:
        raise ValueError("event.id is missing")
    credential = _text(data, "credential", "event.data.credential")
    share = _text(event, "dataShareUri", "event.dataShareUri") or None
    if not credential and not share:
        raise ValueError("event carries neither data.credential nor dataShareUri")
    _text(data, "protectionKey", "event.data.protectionKey")  # read when the credential is decrypted
    return CredentialEvent(
        event_id=event_id, transaction_id=_text(event, "transactionId", "event.transactionId"),
        topic=_text(payload, "topic", "topic"), publisher=_text(payload, "publisher", "publisher"),
        published_on=_text(payload, "publishedOn", "publishedOn"),
        registration_id=_identifier(data, "registrationId"),
        credential_type=_text(data, "credentialType", "event.data.credentialType"),
        credential=credential, data_share_uri=share, data=data,
        registration_number=_identifier(data, "opencrvsBRN"), opencrvs_id=_identifier(data, "opencrvsId"),
    )
