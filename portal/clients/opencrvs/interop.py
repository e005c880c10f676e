"""The OpenCRVS v1.9 interop call (`POST /api/opencrvs/registration`, specs/notes/crvs-mosip.md §6.3) read into the
`CrvsEvent` a webhook delivery also becomes (webhook.py), once the caller has verified its JWT (tokens.py). Pure:
no Flask, no I/O; refusals are webhook.py's `IntakeError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .fhir import json_kind
from .webhook import CrvsEvent, IntakeError, check_lengths, json_object, nonempty_string, text_field


def parse_interop_registration(payload: bytes | str | Mapping, claims: Mapping) -> CrvsEvent:
    """Parse `POST /api/opencrvs/registration` (the `MosipInteropPayload` of `@opencrvs/mosip`
    `createMosipInteropClient().register`): `{trackingId, notification, requestFields, metaInfo, audit}`.

    `claims` are those of the already verified JWT: `eventId`/`actionId` (older tokens: `recordId`) name
    the OpenCRVS record and its pending register action, so the same call twice gives the same `event_id`.

    What is required is what OpenCRVS's own mosip-api requires (opencrvs/mosip @dfa03cd9
    `packages/mosip-api/src/index.ts`: the route has no body schema; `routes/event-registration.ts`
    `registrationEventHandler` reads `requestFields.birthCertificateNumber` or `.deathCertificateNumber`): a
    `requestFields` object with exactly one of those numbers (mosip-api would do nothing with neither, and make
    two packets with both), and something naming the record (`trackingId`, or the token's event id). The other
    fields go to MOSIP as OpenCRVS sent them (mosip-api forwards them unchecked): a field MOSIP's ID schema
    needs and lacks is MOSIP's to refuse, and that refusal goes back to OpenCRVS as the record's error.
    """
    body, text = json_object(payload)
    # What the portal reads itself has its JSON type checked (a wrong one is refused by its path, never stored
    # as Python's text of a list); the other fields go to MOSIP as sent, below.
    tracking_id = text_field(body, "trackingId", "trackingId")
    raw_fields = body.get("requestFields")
    if not isinstance(raw_fields, Mapping):
        raise IntakeError(422, "'requestFields' is missing or not an object")
    birth_number = text_field(raw_fields, "birthCertificateNumber", "requestFields.birthCertificateNumber")
    death_number = text_field(raw_fields, "deathCertificateNumber", "requestFields.deathCertificateNumber")
    if bool(birth_number) == bool(death_number):
        raise IntakeError(422, "'requestFields' needs exactly one of birthCertificateNumber, deathCertificateNumber")
    kind = "birth" if birth_number else "death"
    meta_info, audit = (_object_field(body, key) for key in ("metaInfo", "audit"))

    fields = {}
    for key, value in raw_fields.items():
        if value is None or value == "":  # the country config sends `email: ''` when there is none
            continue
        fields[str(key)] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    # OpenCRVS's mosip-api drops the death number from the packet (`postDeathRecord`); the birth one stays.
    fields.pop("deathCertificateNumber", None)

    opencrvs_event_id = nonempty_string(claims.get("eventId")) or nonempty_string(claims.get("recordId"))
    if not (tracking_id or opencrvs_event_id):
        raise IntakeError(422, "'trackingId' is missing and the token names no event")
    topic = "BIRTH_REGISTERED" if kind == "birth" else "DEATH_REGISTERED"
    check_lengths(event_id=f"{topic}:{opencrvs_event_id or tracking_id}", tracking_id=tracking_id,
                   registration_number=birth_number or death_number, opencrvs_event_id=opencrvs_event_id,
                   action_id=nonempty_string(claims.get("actionId")))
    return CrvsEvent(
        source="interop",
        topic=topic,
        kind=kind,
        event_id=f"{topic}:{opencrvs_event_id or tracking_id}",
        tracking_id=tracking_id,
        registration_number=birth_number or death_number,
        mosip_aid=None,
        deceased_national_id=fields.get("nationalIdNumber") if kind == "death" else None,
        opencrvs_event_id=opencrvs_event_id,
        action_id=nonempty_string(claims.get("actionId")),
        request_fields=fields,
        meta_info=meta_info,
        audit=audit,
        payload=body,
        body_text=text,
    )


def _object_field(body, key):
    """`body[key]` when it is an object ({} when absent or null); IntakeError naming it otherwise."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise IntakeError(422, f"'{key}' is {json_kind(value)}, expected an object")
    return value
