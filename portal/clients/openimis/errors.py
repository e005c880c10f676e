"""What openIMIS's refusals say: a GraphQL answer's errors as PermanentPeerError, and the `error` text of a mutation
log as a sentence for staff (`plain_error`) and as openIMIS's own codes for code that acts on the kind of refusal
(`error_codes`); `PEER`, the code in every error.
"""

import json
import re
from collections.abc import Mapping

from portal.clients.errors import PermanentPeerError

PEER = "openimis"


def first_error(body):
    """The message of a GraphQL answer's first error, or None."""
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
            return str(errors[0].get("message"))
    return None


def graphql_error(op, body):
    """The error for a GraphQL answer that carries errors (a refused permission says so)."""
    message = first_error(body) or "unknown error"
    if message == "unauthorized":
        return PermanentPeerError(f"the openIMIS service account may not run {op}", peer=PEER,
                                  code="unauthorized")
    return PermanentPeerError(f"openIMIS rejected {op}: {message}", peer=PEER, code="graphql")


_FK_RE = re.compile(r'Key \("?(\w+)"?\)=\((.*?)\) is not present')
_LIST_RE = re.compile(r"^\[['\"](.*)['\"]\]$", re.S)
_ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_DETAILS = {
    "invalid_insuree_number": "the insurance number is not valid in openIMIS "
                              "(already used, wrong length or wrong check digit)",
    "mutation.authentication_required": "openIMIS did not recognise the service account",
    "unauthorized": "the openIMIS service account lacks the permission for this operation",
    "insuree.validation.insuree_requires_dob": "the birth date is missing",
    "insuree.validation.insuree_requires_gender": "the gender is missing",
    "insuree.validation.insuree_requires_status": "the insuree status is missing",
    "mutation.insuree.wrong_status": "the insuree status is not valid",
    "no head insuree found": "the family has no head insuree",
    "policy.validation.id_does_not_exist": "the policy does not exist in openIMIS",
}


def _error_details(raw):
    """The `detail` of each item of a mutation log's `error` (a JSON list; `['code']` unwrapped), as written;
    None when the error is not such a list."""
    try:
        items = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    details = []
    for item in items:
        detail = str(item.get("detail") or item.get("message") or "") if isinstance(item, Mapping) else str(item)
        match = _LIST_RE.match(detail)
        details.append(match.group(1) if match else detail)
    return details


def error_codes(raw):
    """openIMIS's own codes in a mutation log's `error` (e.g. `invalid_insuree_number`): what a caller tests
    to act on a kind of refusal, where `plain_error`'s words are for people."""
    return tuple(detail for detail in _error_details(raw or "") or () if _ERROR_CODE.match(detail))


def plain_error(raw):
    """A mutation log's `error` text → a sentence for staff (English; ids and codes kept, no stack traces)."""
    if not raw:
        return None
    details = _error_details(raw)
    if details is None:
        if raw.startswith("The mutation threw"):
            return "openIMIS failed while processing the request (an internal error on its side)"
        return raw
    sentences = []
    for detail in details:
        if detail in _DETAILS:
            sentences.append(_DETAILS[detail])
        elif detail.endswith(" matching query does not exist."):
            sentences.append(f"unknown {detail.split(' ', 1)[0].lower()} in openIMIS")
        elif "violates foreign key constraint" in detail:
            key = _FK_RE.search(detail)
            sentences.append(f"openIMIS does not know the value {key.group(2)!r} for {key.group(1)}" if key
                             else "a referenced code does not exist in openIMIS")
        elif detail.startswith("value too long for type character varying"):
            size = re.search(r"\((\d+)\)", detail)
            sentences.append(f"a value is longer than openIMIS allows ({size.group(1) if size else '?'} characters)")
        else:
            sentences.append(detail)
    text = "; ".join(s for s in sentences if s)
    if not text or text.startswith("openIMIS"):
        return text or None
    return text[:1].upper() + text[1:]
