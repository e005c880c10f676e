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


def _identifier(data, name):
    """`event.data[name]` as a trimmed string, also when a publisher nested it under `additionalData`."""
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
    """
    payload = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), dict):
        raise ValueError("not a WebSub event: no `event` object")
    event = payload["event"]
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    if not event.get("id"):
        raise ValueError("event.id is missing")
    credential = data.get("credential")
    share = event.get("dataShareUri") or None
    if not credential and not share:
        raise ValueError("event carries neither data.credential nor dataShareUri")
    return CredentialEvent(
        event_id=str(event["id"]), transaction_id=event.get("transactionId"), topic=payload.get("topic"),
        publisher=payload.get("publisher"), published_on=payload.get("publishedOn"),
        registration_id=_identifier(data, "registrationId"), credential_type=data.get("credentialType"),
        credential=credential if isinstance(credential, str) else None, data_share_uri=share, data=data,
        registration_number=_identifier(data, "opencrvsBRN"), opencrvs_id=_identifier(data, "opencrvsId"),
    )
