"""openIMIS client: insuree/family/policy creation and look-ups over openIMIS's GraphQL API.

Wire facts (../shared/specs/openimis/README.md):
- Login: `POST {base}/api/api_fhir_r4/login/` JSON `{"username","password"}` → `{"token","exp"}` (the same JWT as the
  GraphQL `tokenAuth`, without its CSRF cookie dance); then `Authorization: Bearer <token>` on `POST {base}/api/graphql`.
  The token is cached until shortly before `exp` and renewed once on an HTTP 401.
- Mutations are asynchronous: the reply is only `{clientMutationId internalId}`; the outcome is read from
  `mutationLogs(clientMutationId:)` (status 0 received → 2 success, or 1 error with `error` = JSON text).
  openIMIS does not deduplicate a repeated clientMutationId (each call is one more log and one more run), so the
  `create_*` methods first look for an earlier log with the same id and do not re-send a received/successful one.
- Inputs carry only the fields both upstream openIMIS and the reference SDL (a deployment with a forked insuree
  module: extra insuree fields, no `status`) have: see `UPSTREAM_INSUREE_FIELDS`. `jsonExt` is a JSON-encoded
  string; ids are ints.
- Insuree `status`/`statusReason`/`statusDate` (upstream since openimis-be-insuree_py 036a3b5e, `InsureeBase` in
  `insuree/gql_mutations.py`) are never sent: `InsureeService.create_or_update` (`insuree/services.py`, develop
  @ b2216940) takes `data.get('status', InsureeStatus.ACTIVE)`, so a new insuree is AC without it, and a forked
  server like the reference one refuses the unknown field with HTTP 400.
- `mutationLogs` are read without `jsonExt` (core migration `0025_mutationlog_json_ext`): no insuree, family or
  policy mutation writes it upstream (openimis-be-insuree_py `insuree/gql_mutations.py`, openimis-be-policy_py
  `policy/gql_mutations.py`; it stays null), so it cannot replace the `insurees(clientMutationId:)` /
  `families(clientMutationId:)` look-up, and a server without that migration refuses the field.

Typical use (a job handler; the caller owns the idempotency key)::

    client = from_config(current_app.config)
    client.create_family(head, client_mutation_id=key, location_id=village_id)
    client.wait_for_mutation(key)                  # PermanentPeerError with plain text if openIMIS refused it
    family = client.find_family_by_mutation(key)   # ids and the head's insuree number
    client.create_policy(family_id=family.id, product_id=p, officer_id=o, enroll_date=today,
                         client_mutation_id=f"{key}:policy")

Errors: `TransientPeerError` (timeout, connection, 5xx, 408, 429, still processing after the wait) or
`PermanentPeerError` (other 4xx, GraphQL errors, refused login, a mutation that ended in error, a malformed answer).
Logs carry the operation name, HTTP status, duration and clientMutationId only, never personal data or tokens.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import httpx

from .errors import PermanentPeerError, TransientPeerError, error_for_status

log = logging.getLogger(__name__)

PEER = "openimis"
LOGIN_PATH = "/api/api_fhir_r4/login/"
GRAPHQL_PATH = "/api/graphql"
PAGE_SIZE = 100  # openIMIS caps every connection at RELAY_CONNECTION_MAX_LIMIT = 100
TOKEN_MARGIN = 60  # seconds before `exp` at which the cached token is renewed

# Insuree input fields present both in upstream openIMIS (insuree/gql_mutations.py InsureeBase) and in the
# reference SDL (forked deployment): the only ones the portal ever sends.
UPSTREAM_INSUREE_FIELDS = (
    "uuid", "chfId", "lastName", "otherNames", "genderId", "dob", "head", "marital", "passport", "phone", "email",
    "currentAddress", "geolocation", "currentVillageId", "photoId", "photoDate", "photo", "cardIssued", "familyId",
    "relationshipId", "professionId", "educationId", "typeOfIdId", "healthFacilityId", "offline", "jsonExt",
)
UPSTREAM_FAMILY_FIELDS = (
    "uuid", "locationId", "poverty", "familyTypeId", "address", "isOffline", "ethnicity", "confirmationNo",
    "confirmationTypeId", "jsonExt", "contribution", "headInsuree",
)
MUTATION_META_FIELDS = ("clientMutationId", "clientMutationLabel", "clientMutationDetails")
# Column sizes in openIMIS (longer values make the mutation fail): useful for form validation.
INSUREE_MAX_LENGTHS = {"chf_id": 50, "last_name": 100, "other_names": 100, "passport": 25, "phone": 50,
                       "email": 100, "current_address": 200, "geolocation": 250}

# Marital status is not a table in openIMIS: the web UI hard-codes INSUREE_MARITAL_STATUS = ["N","W","S","D","M"]
# (openimis-fe-insuree_js src/constants.js) and there is no GraphQL query for it.
MARITAL_STATUSES = (("N", "Not specified"), ("W", "Widowed"), ("S", "Single"), ("D", "Divorced"), ("M", "Married"))
POLICY_STATUSES = {1: "idle", 2: "active", 4: "suspended", 8: "expired", 16: "ready"}
MUTATION_STATUS = {0: "received", 1: "error", 2: "success"}


# =========================================================================== dataclasses
@dataclass
class Insuree:
    """An openIMIS insuree as the portal knows it (snake_case of the GraphQL fields).

    `passport` is openIMIS's identification number and `type_of_id` its identification type code (e.g. "N");
    `chf_id` is the insurance number (the "CHF ID"). The last block is filled only when read from openIMIS.
    """

    last_name: str
    other_names: str
    gender_id: str  # insureeGenders code: M / F / O
    dob: date
    chf_id: str | None = None
    marital: str | None = None  # N / W / S / D / M
    passport: str | None = None
    type_of_id: str | None = None
    phone: str | None = None
    email: str | None = None
    current_address: str | None = None
    geolocation: str | None = None
    current_village_id: int | None = None
    profession_id: int | None = None
    education_id: int | None = None
    relationship_id: int | None = None  # for family members, relations{id}
    health_facility_id: int | None = None
    card_issued: bool = False
    photo: str | None = None  # base64 image, no "data:" prefix
    photo_date: date | None = None
    photo_officer_id: int | None = None
    json_ext: dict | None = None
    # read from openIMIS
    id: int | None = None
    uuid: str | None = None
    head: bool = False
    family_id: int | None = None
    family_uuid: str | None = None


@dataclass(frozen=True)
class Family:
    id: int
    uuid: str
    head: Insuree | None
    location_id: int | None = None
    poverty: bool | None = None
    address: str | None = None
    json_ext: dict | None = None

    @property
    def head_chf_id(self):
        return self.head.chf_id if self.head else None


@dataclass(frozen=True)
class CodeItem:
    """One entry of an openIMIS code list. `code` is a string: the letter code (gender, id type) or the
    integer id as text (profession, education, relation); convert with int() for the *Id inputs."""

    code: str
    label: str
    alt_label: str | None = None
    sort_order: int | None = None


@dataclass(frozen=True)
class Location:
    id: int
    uuid: str
    code: str
    name: str
    type: str  # R region, D district, W municipality, V village
    parent_id: int | None = None
    path: tuple[str, ...] = ()  # names of the ancestors, region first (filled by villages())

    @property
    def label(self):
        return " / ".join((*self.path, self.name))


@dataclass(frozen=True)
class Product:
    id: int
    uuid: str
    code: str
    name: str
    insurance_period: int | None = None  # months
    lump_sum: Decimal | None = None
    date_from: str | None = None
    date_to: str | None = None
    location_id: int | None = None  # None = national product


@dataclass(frozen=True)
class Officer:
    id: int
    uuid: str
    code: str
    last_name: str
    other_names: str
    phone: str | None = None
    email: str | None = None

    @property
    def name(self):
        return f"{self.other_names} {self.last_name}"


@dataclass(frozen=True)
class MutationResult:
    """What openIMIS says about the mutations sent with one clientMutationId.

    `status` is "received" (still running), "success" or "error"; `error` is plain text for people,
    `raw_error` the log's text as openIMIS wrote it, `error_codes` openIMIS's codes in it (for code that acts
    on the kind of refusal). `attempts` counts the logs found for that id (more than one when the same id
    was sent again).
    """

    client_mutation_id: str | None
    status: str
    internal_id: str | None = None
    error: str | None = None
    raw_error: str | None = None
    attempts: int = 1
    error_codes: tuple = ()

    @property
    def done(self):
        return self.status != "received"

    @property
    def ok(self):
        return self.status == "success"

    def raise_for_error(self):
        """Raise PermanentPeerError (plain text) when openIMIS refused the mutation."""
        if self.status == "error":
            raise PermanentPeerError(self.error or "openIMIS refused the operation", peer=PEER, code="mutation_error")
        return self


@dataclass(frozen=True)
class PolicyTerms:
    start_date: date
    expiry_date: date
    value: Decimal


@dataclass(frozen=True)
class Policy:
    id: int | None
    uuid: str
    product_code: str | None
    product_name: str | None
    officer_code: str | None
    enroll_date: date | None
    start_date: date | None
    effective_date: date | None
    expiry_date: date | None
    status: int | None
    value: Decimal | None

    @property
    def status_label(self):
        return POLICY_STATUSES.get(self.status, "unknown")


# =========================================================================== pure helpers
def validate_insuree_number(number, length, modulo):
    """openIMIS's format check of an insuree number (`insuree/services.py validate_insuree_number`).

    `length`: exact length required (None/0 = no check); `modulo`: check digit rule (None/0 = none; 10 = the
    Luhn-like variant openIMIS implements; other M: `int(number[:-1]) % M == int(number[-1])`).
    Returns None when valid, else openIMIS's message. Uniqueness is checked by openIMIS only (see find_insuree).
    """
    number = number or ""
    if length:
        if not number:
            return "Invalid insuree number (empty), should be %s" % (length,)
        if len(number) != length:
            return "Invalid insuree number length %s, should be %s" % (len(number), length)
    if modulo:
        if len(number) < 2 or not number.isdigit():
            return "Insuree number validation failed"
        if modulo == 10:
            valid = _modulo_10_check_digit(number[:-1]) == int(number[-1])
        else:
            valid = int(number[:-1]) % modulo == int(number[-1])
        if not valid:
            return "Invalid checksum"
    return None


def _modulo_10_check_digit(body):
    """The digit that makes `body + digit` pass openIMIS `is_modulo_10_number_valid` (doubles even positions)."""
    total = sum(d + (i % 2 == 0) * (d - 9 * (d > 4)) for i, d in enumerate(int(ch) for ch in body))
    return (-total) % 10


def generate_insuree_number(length, modulo, rng=None):
    """A random number of `length` digits that passes `validate_insuree_number(…, length, modulo)`.

    For deployments where the portal, not the officer, allocates insurance numbers. The first digit is never 0.
    Uniqueness is not guaranteed: openIMIS refuses a taken number (the mutation ends in error), so look it up
    with `find_insuree` first or retry with a new number.
    """
    if not length or length < (2 if modulo else 1):
        raise ValueError("an insuree number length is required to generate numbers")
    rng = rng or random.SystemRandom()
    body_length = length - 1 if modulo else length
    while True:
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(body_length - 1))
        if not modulo:
            return body
        check = _modulo_10_check_digit(body) if modulo == 10 else int(body) % modulo
        if check < 10:
            return body + str(check)


@dataclass(frozen=True)
class InsureeNumberRule:
    """The deployment's insuree-number rule (openIMIS `insuree_number_length` / `insuree_number_modulo_root`)."""

    length: int | None = None
    modulo: int | None = None

    def validate(self, number):
        return validate_insuree_number(number, self.length, self.modulo)

    def generate(self, rng=None):
        return generate_insuree_number(self.length, self.modulo, rng)


def decode_id(relay_id):
    """openIMIS relay id (`base64("InsureeGQLType:42")`) → 42. Plain numbers pass through."""
    if relay_id is None:
        return None
    text = str(relay_id)
    if text.isdigit():
        return int(text)
    try:
        type_and_id = base64.b64decode(text, validate=True).decode()
        return int(type_and_id.split(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        raise PermanentPeerError("openIMIS sent an id that is not a relay id", peer=PEER) from None


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


def insuree_input(insuree: Insuree, *, head=None, family_id=None):
    """The exact GraphQL input object for an insuree (createInsuree input or createFamily `headInsuree`).

    Only fields upstream openIMIS knows are emitted, never null ones; ids are ints, `dob` "YYYY-MM-DD",
    `jsonExt` a JSON-encoded string. `status` is not sent: upstream defaults it to AC
    (`InsureeService.create_or_update`) and the forked reference SDL has no such input field.
    """
    values = {
        "chfId": insuree.chf_id,
        "lastName": insuree.last_name,
        "otherNames": insuree.other_names,
        "genderId": insuree.gender_id,
        "dob": _iso(insuree.dob),
        "head": insuree.head if head is None else head,
        "marital": insuree.marital,
        "passport": insuree.passport,
        "typeOfIdId": insuree.type_of_id,
        "phone": insuree.phone,
        "email": insuree.email,
        "currentAddress": insuree.current_address,
        "geolocation": insuree.geolocation,
        "currentVillageId": insuree.current_village_id,
        "professionId": insuree.profession_id,
        "educationId": insuree.education_id,
        "relationshipId": insuree.relationship_id,
        "healthFacilityId": insuree.health_facility_id,
        "familyId": family_id,
        "cardIssued": bool(insuree.card_issued),
        "jsonExt": json.dumps(insuree.json_ext, ensure_ascii=False) if insuree.json_ext is not None else None,
    }
    for key in ("currentVillageId", "professionId", "educationId", "relationshipId", "healthFacilityId", "familyId"):
        if values[key] is not None:
            values[key] = int(values[key])
    if insuree.photo:
        photo = {"photo": insuree.photo, "date": _iso(insuree.photo_date or date.today())}
        if insuree.photo_officer_id is not None:
            photo["officerId"] = int(insuree.photo_officer_id)
        values["photo"] = photo
    result = {k: v for k, v in values.items() if v is not None and v != ""}
    assert set(result) <= set(UPSTREAM_INSUREE_FIELDS)
    return result


def family_input(head: Insuree, *, client_mutation_id, location_id=None, poverty=None, address=None,
                 family_type_id=None, json_ext=None, label=None):
    """The exact `CreateFamilyMutationInput` for a new family headed by `head`."""
    values = {
        "clientMutationId": client_mutation_id,
        "clientMutationLabel": label,
        "locationId": int(location_id) if location_id is not None else None,
        "poverty": poverty,
        "familyTypeId": family_type_id,
        "address": address,
        "jsonExt": json.dumps(json_ext, ensure_ascii=False) if json_ext is not None else None,
        "headInsuree": insuree_input(head, head=True),
    }
    return {k: v for k, v in values.items() if v is not None and v != ""}


def policy_input(*, family_id, product_id, officer_id, enroll_date, start_date, expiry_date, value,
                 client_mutation_id, label=None):
    """The exact `CreatePolicyMutationInput` (Decimal `value` as a string, e.g. "10000.00")."""
    values = {
        "clientMutationId": client_mutation_id,
        "clientMutationLabel": label,
        "enrollDate": _iso(enroll_date),
        "startDate": _iso(start_date),
        "expiryDate": _iso(expiry_date),
        "value": f"{Decimal(str(value)):.2f}",
        "productId": int(product_id),
        "familyId": int(family_id),
        "officerId": int(officer_id),
    }
    return {k: v for k, v in values.items() if v is not None}


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


def parse_mutation_logs(payload, client_mutation_id=None):
    """`mutationLogs` answer (whole body, its `data`, or the connection) → MutationResult, or None if no log.

    Several logs for one clientMutationId (the id was sent again) combine as openIMIS's outcome for that id:
    success if any run succeeded, else still received if one is pending, else the latest error.
    """
    connection = payload
    if isinstance(connection, Mapping) and "data" in connection:
        connection = connection["data"]
    if isinstance(connection, Mapping) and "mutationLogs" in connection:
        connection = connection["mutationLogs"]
    try:
        nodes = [edge["node"] for edge in connection["edges"]]
        nodes.sort(key=lambda n: n.get("requestDateTime") or "")
        statuses = [MUTATION_STATUS[int(n["status"])] for n in nodes]
    except (TypeError, KeyError, ValueError):
        raise PermanentPeerError("openIMIS sent a malformed mutationLogs answer", peer=PEER) from None
    if not nodes:
        return None
    if "success" in statuses:
        chosen, status = nodes[statuses.index("success")], "success"
    elif "received" in statuses:
        chosen, status = nodes[len(statuses) - 1 - statuses[::-1].index("received")], "received"
    else:
        chosen, status = nodes[-1], "error"
    internal_id = chosen.get("id")
    if internal_id and "-" not in str(internal_id):  # relay id of MutationLogGQLType → its UUID
        try:
            internal_id = base64.b64decode(internal_id).decode().split(":", 1)[1]
        except (ValueError, IndexError, UnicodeDecodeError):
            pass
    raw = chosen.get("error") if status == "error" else None
    return MutationResult(
        client_mutation_id=chosen.get("clientMutationId") or client_mutation_id,
        status=status, internal_id=internal_id, raw_error=raw, error=plain_error(raw), attempts=len(nodes),
        error_codes=error_codes(raw),
    )


def _date(value):
    return date.fromisoformat(value[:10]) if value else None


def _decimal(value):
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _json(value):
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def insuree_from_node(node):
    """InsureeGQLType node (with the INSUREE_SELECTION fields) → Insuree."""
    def code(key, attr):
        return (node.get(key) or {}).get(attr)

    family = node.get("family") or {}
    return Insuree(
        id=decode_id(node.get("id")), uuid=node.get("uuid"), chf_id=node.get("chfId"),
        last_name=node.get("lastName"), other_names=node.get("otherNames"), gender_id=code("gender", "code"),
        dob=_date(node.get("dob")), head=bool(node.get("head")), marital=node.get("marital"),
        passport=node.get("passport"), type_of_id=code("typeOfId", "code"), phone=node.get("phone"),
        email=node.get("email"), current_address=node.get("currentAddress"), geolocation=node.get("geolocation"),
        current_village_id=decode_id(code("currentVillage", "id")), profession_id=code("profession", "id"),
        education_id=code("education", "id"), relationship_id=code("relationship", "id"),
        card_issued=bool(node.get("cardIssued")), photo_date=_date(node.get("photoDate")),
        json_ext=_json(node.get("jsonExt")), family_id=decode_id(family.get("id")), family_uuid=family.get("uuid"),
    )


def family_from_node(node):
    head = node.get("headInsuree")
    return Family(
        id=decode_id(node["id"]), uuid=node["uuid"], head=insuree_from_node(head) if head else None,
        location_id=decode_id((node.get("location") or {}).get("id")), poverty=node.get("poverty"),
        address=node.get("address"), json_ext=_json(node.get("jsonExt")),
    )


# =========================================================================== GraphQL documents
INSUREE_SELECTION = """id uuid chfId lastName otherNames dob head marital passport phone email currentAddress
  geolocation cardIssued photoDate jsonExt gender { code } typeOfId { code } profession { id } education { id }
  relationship { id } currentVillage { id } family { id uuid }"""
FAMILY_SELECTION = f"id uuid poverty address jsonExt location {{ id }} headInsuree {{ {INSUREE_SELECTION} }}"

Q_INSUREES = f"""query Insurees($chfId: String, $passport: String, $clientMutationId: String, $first: Int) {{
  insurees(chfId: $chfId, passport: $passport, clientMutationId: $clientMutationId, first: $first) {{
    totalCount edges {{ node {{ {INSUREE_SELECTION} }} }} }} }}"""
Q_FAMILIES = f"""query Families($headChfId: String, $clientMutationId: String, $uuid: String) {{
  families(headInsuree_ChfId: $headChfId, clientMutationId: $clientMutationId, uuid: $uuid, first: 2) {{
    edges {{ node {{ {FAMILY_SELECTION} }} }} }} }}"""
Q_MUTATION_LOGS = """query MutationLogs($clientMutationId: String) {
  mutationLogs(clientMutationId: $clientMutationId, orderBy: ["requestDateTime"]) {
    edges { node { id status error clientMutationId requestDateTime } } } }"""
M_CREATE_FAMILY = """mutation CreateFamily($input: CreateFamilyMutationInput!) {
  createFamily(input: $input) { clientMutationId internalId } }"""
M_CREATE_INSUREE = """mutation CreateInsuree($input: CreateInsureeMutationInput!) {
  createInsuree(input: $input) { clientMutationId internalId } }"""
M_CREATE_POLICY = """mutation CreatePolicy($input: CreatePolicyMutationInput!) {
  createPolicy(input: $input) { clientMutationId internalId } }"""
Q_CODES = {
    "genders": ("query Genders { insureeGenders { code gender altLanguage sortOrder } }", "insureeGenders",
                "code", "gender"),
    "identification_types": ("query IdentificationTypes { identificationTypes { code identificationType "
                             "altLanguage sortOrder } }", "identificationTypes", "code", "identificationType"),
    "professions": ("query Professions { professions { id profession altLanguage sortOrder } }", "professions",
                    "id", "profession"),
    "educations": ("query Educations { educations { id education altLanguage sortOrder } }", "educations",
                   "id", "education"),
    "relations": ("query Relations { relations { id relation altLanguage sortOrder } }", "relations", "id",
                  "relation"),
}
Q_LOCATIONS = """query Locations($type: String, $after: String) {
  locations(type: $type, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id uuid code name type parent { id } } } } }"""
Q_PRODUCTS = """query Products($location: Int, $after: String) {
  products(location: $location, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id uuid code name insurancePeriod lumpSum dateFrom dateTo location { id } } } } }"""
Q_OFFICERS = """query PolicyOfficers($after: String) {
  policyOfficers(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id uuid code lastName otherNames phone email } } } }"""
Q_POLICY_VALUES = """query PolicyValues($enrollDate: DateTime!, $productId: Int!, $familyId: Int!) {
  policyValues(stage: "N", enrollDate: $enrollDate, productId: $productId, familyId: $familyId) {
    policy { startDate expiryDate value } warnings } }"""
Q_POLICIES_BY_FAMILY = """query PoliciesByFamily($familyUuid: String!, $after: String) {
  policiesByFamily(familyUuid: $familyUuid, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { policyId policyUuid productCode productName officerCode enrollDate startDate effectiveDate
      expiryDate status policyValue } } } }"""
Q_NUMBER_VALIDITY = """query InsureeNumberValidity($number: String!) {
  insureeNumberValidity(insureeNumber: $number) { isValid errorCode errorMessage } }"""


# =========================================================================== the client
class OpenImisClient:
    """Talks to one openIMIS backend with a service account. Thread-safe; reuse one instance per app.

    `base_url` is the server root (GraphQL at `{base_url}/api/graphql`); `timeout` (seconds) applies to
    every HTTP call. `insuree_number_length`/`insuree_number_modulo` describe the deployment's number rule
    (openIMIS has no API that tells it; see `number_rule`). Code lists are cached for `cache_ttl` seconds.
    """

    def __init__(self, base_url, username, password, timeout=10.0, *, insuree_number_length=None,
                 insuree_number_modulo=None, poll_interval=1.0, wait_timeout=30.0, cache_ttl=300.0,
                 transport=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.number_rule = InsureeNumberRule(insuree_number_length or None, insuree_number_modulo or None)
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.cache_ttl = cache_ttl
        self._username, self._password = username, password
        self._http = httpx.Client(base_url=self.base_url, timeout=self.timeout, transport=transport)
        self._lock = threading.Lock()
        self._token, self._token_exp = None, 0.0
        self._cache = {}

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ transport
    def _request(self, method, path, op, **kwargs):
        started = time.monotonic()
        try:
            response = self._http.request(method, path, timeout=self.timeout, **kwargs)
        except httpx.TimeoutException:
            log.warning("openimis %s timeout duration_ms=%d", op, (time.monotonic() - started) * 1000)
            raise TransientPeerError(f"openIMIS did not answer within {self.timeout:g} s", peer=PEER) from None
        except httpx.TransportError as exc:
            log.warning("openimis %s unreachable (%s)", op, type(exc).__name__)
            raise TransientPeerError("openIMIS is unreachable", peer=PEER) from None
        log.info("openimis %s status=%s duration_ms=%d", op, response.status_code,
                 (time.monotonic() - started) * 1000)
        return response

    def _login(self):
        response = self._request("POST", LOGIN_PATH, "login",
                                 json={"username": self._username, "password": self._password})
        if response.status_code != 200:
            if response.status_code in (400, 401, 403):
                raise PermanentPeerError(f"openIMIS refused the service account login (HTTP {response.status_code})",
                                         peer=PEER, status=response.status_code, code="login")
            raise error_for_status(PEER, response.status_code, f"openIMIS login failed (HTTP {response.status_code})")
        try:
            body = response.json()
            token, exp = body["token"], float(body["exp"])
        except (ValueError, KeyError, TypeError):
            raise PermanentPeerError("openIMIS sent a malformed login answer", peer=PEER) from None
        self._token, self._token_exp = token, exp
        return token

    def _bearer(self, renew=False):
        with self._lock:
            if renew or not self._token or time.time() > self._token_exp - TOKEN_MARGIN:
                self._login()
            return self._token

    def execute(self, query, variables=None, *, op="graphql"):
        """POST one GraphQL document; returns `data`. Renews the token once on HTTP 401."""
        body = None
        variables = {k: v for k, v in (variables or {}).items() if v is not None}  # unset, not null
        for attempt in (1, 2):
            token = self._bearer(renew=attempt == 2)
            response = self._request("POST", GRAPHQL_PATH, op, json={"query": query, "variables": variables},
                                     headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 401 and attempt == 1:
                continue
            try:
                body = response.json()
            except ValueError:
                body = None
            if response.status_code != 200:
                message = _first_error(body) or f"HTTP {response.status_code}"
                raise error_for_status(PEER, response.status_code, f"openIMIS rejected {op}: {message}")
            break
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), Mapping):
            if isinstance(body, Mapping) and body.get("errors"):
                raise self._graphql_error(op, body)
            raise PermanentPeerError(f"openIMIS sent a malformed answer to {op}", peer=PEER)
        if body.get("errors"):
            raise self._graphql_error(op, body)
        return body["data"]

    @staticmethod
    def _graphql_error(op, body):
        message = _first_error(body) or "unknown error"
        if message == "unauthorized":
            return PermanentPeerError(f"the openIMIS service account may not run {op}", peer=PEER,
                                      code="unauthorized")
        return PermanentPeerError(f"openIMIS rejected {op}: {message}", peer=PEER, code="graphql")

    def _pages(self, query, key, variables=None, *, op):
        nodes, after = [], None
        while True:
            connection = self.execute(query, {**(variables or {}), "after": after}, op=op)[key]
            nodes.extend(edge["node"] for edge in connection["edges"])
            if not connection["pageInfo"]["hasNextPage"]:
                return nodes
            after = connection["pageInfo"]["endCursor"]

    def _cached(self, key, load):
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit and now - hit[0] < self.cache_ttl:
            return hit[1]
        value = load()
        self._cache[key] = (now, value)
        return value

    def health(self):
        """True when openIMIS answers `GET /api/graphql?query={__typename}` (no login, no database work)."""
        try:
            response = self._request("GET", GRAPHQL_PATH, "health", params={"query": "{__typename}"})
            return response.status_code == 200 and response.json().get("data", {}).get("__typename") == "Query"
        except (TransientPeerError, ValueError, AttributeError):
            return False

    # ------------------------------------------------------------------ mutations
    def _submit(self, document, op, payload, client_mutation_id, check_existing):
        if not client_mutation_id:
            raise ValueError("a clientMutationId is required (the caller's idempotency key)")
        if check_existing:
            earlier = self.mutation_status(client_mutation_id)
            if earlier is not None and earlier.status != "error":
                log.info("openimis %s not re-sent: mutation %s already %s", op, client_mutation_id, earlier.status)
                return earlier
        data = self.execute(document, {"input": payload}, op=op)
        reply = data.get(op) or {}
        log.info("openimis %s sent mutation %s", op, client_mutation_id)
        return MutationResult(client_mutation_id=client_mutation_id, status="received",
                              internal_id=reply.get("internalId"))

    def create_family(self, head: Insuree, *, client_mutation_id, location_id=None, poverty=None, address=None,
                      family_type_id=None, json_ext=None, label=None, check_existing=True) -> MutationResult:
        """Send `createFamily` with `head` as head insuree; returns the (usually "received") MutationResult.

        `location_id` is the family's village id. With `check_existing` (default) an earlier received or
        successful mutation with the same `client_mutation_id` is returned instead of sending again.
        """
        payload = family_input(head, client_mutation_id=client_mutation_id, location_id=location_id,
                               poverty=poverty, address=address, family_type_id=family_type_id, json_ext=json_ext,
                               label=label)
        return self._submit(M_CREATE_FAMILY, "createFamily", payload, client_mutation_id, check_existing)

    def create_insuree(self, insuree: Insuree, *, family_id, client_mutation_id, label=None,
                       check_existing=True) -> MutationResult:
        """Send `createInsuree` adding `insuree` (not head) to the existing family `family_id` (int id)."""
        payload = {"clientMutationId": client_mutation_id, **insuree_input(insuree, head=False, family_id=family_id)}
        if label:
            payload["clientMutationLabel"] = label
        return self._submit(M_CREATE_INSUREE, "createInsuree", payload, client_mutation_id, check_existing)

    def create_policy(self, *, family_id, product_id, officer_id, enroll_date, client_mutation_id, start_date=None,
                      expiry_date=None, value=None, label=None, check_existing=True) -> MutationResult:
        """Send `createPolicy` (a new policy is Idle until contributions cover it).

        Missing `start_date`/`expiry_date`/`value` are taken from openIMIS's own `policyValues` for the product
        and family, as the openIMIS web UI does. openIMIS has no duplicate guard for policies: the
        clientMutationId check is what keeps a retry from creating a second one.
        """
        if check_existing:
            earlier = self.mutation_status(client_mutation_id)
            if earlier is not None and earlier.status != "error":
                return earlier
        if start_date is None or expiry_date is None or value is None:
            terms = self.policy_values(product_id=product_id, family_id=family_id, enroll_date=enroll_date)
            start_date = start_date or terms.start_date
            expiry_date = expiry_date or terms.expiry_date
            value = terms.value if value is None else value
        payload = policy_input(family_id=family_id, product_id=product_id, officer_id=officer_id,
                               enroll_date=enroll_date, start_date=start_date, expiry_date=expiry_date, value=value,
                               client_mutation_id=client_mutation_id, label=label)
        return self._submit(M_CREATE_POLICY, "createPolicy", payload, client_mutation_id, check_existing=False)

    def mutation_status(self, client_mutation_id) -> MutationResult | None:
        """The outcome of the mutation(s) sent with this id, or None if openIMIS never received one."""
        data = self.execute(Q_MUTATION_LOGS, {"clientMutationId": client_mutation_id}, op="mutationLogs")
        return parse_mutation_logs(data, client_mutation_id)

    def wait_for_mutation(self, client_mutation_id, *, timeout=None, raise_on_error=True) -> MutationResult:
        """Poll `mutationLogs` until the mutation is done (bounded: `timeout`, default `wait_timeout`).

        Returns the final MutationResult. Raises PermanentPeerError with plain text if it ended in error
        (unless `raise_on_error=False`), PermanentPeerError if openIMIS never received that id, and
        TransientPeerError if it is still processing when the time is up (retry later: nothing is re-sent).
        """
        deadline = time.monotonic() + (self.wait_timeout if timeout is None else timeout)
        delay = min(0.2, self.poll_interval)
        while True:
            result = self.mutation_status(client_mutation_id)
            if result is None:
                raise PermanentPeerError(f"openIMIS has no mutation {client_mutation_id}", peer=PEER,
                                         code="unknown_mutation")
            if result.done:
                return result.raise_for_error() if raise_on_error else result
            if time.monotonic() + delay > deadline:
                raise TransientPeerError(f"openIMIS is still processing mutation {client_mutation_id}", peer=PEER,
                                         code="pending")
            time.sleep(delay)
            delay = min(delay * 1.5, self.poll_interval)

    # ------------------------------------------------------------------ insurees and families
    def _insurees(self, op, **variables):
        data = self.execute(Q_INSUREES, {"first": PAGE_SIZE, **variables}, op=op)
        return [insuree_from_node(edge["node"]) for edge in data["insurees"]["edges"]]

    def find_insuree(self, chf_id) -> Insuree | None:
        """The current insuree with this insurance number (CHF ID), or None."""
        if not chf_id:
            return None
        found = self._insurees("insureeByChfId", chfId=chf_id)
        return found[0] if found else None

    def find_insurees_by_identification(self, number, type_code=None) -> list[Insuree]:
        """Insurees whose identification number (openIMIS `passport`) is `number`, optionally of that type."""
        if not number:
            return []
        found = self._insurees("insureesByIdentification", passport=number)
        return [i for i in found if type_code is None or i.type_of_id == type_code]

    def find_insuree_by_mutation(self, client_mutation_id) -> Insuree | None:
        """The insuree created by `createInsuree` with this id (openIMIS links InsureeMutation rows)."""
        found = self._insurees("insureeByMutation", clientMutationId=client_mutation_id)
        return found[0] if found else None

    def _family(self, op, **variables):
        data = self.execute(Q_FAMILIES, variables, op=op)
        edges = data["families"]["edges"]
        return family_from_node(edges[0]["node"]) if edges else None

    def find_family(self, head_chf_id) -> Family | None:
        """The current family whose head has this insurance number, or None."""
        return self._family("familyByHead", headChfId=head_chf_id) if head_chf_id else None

    def find_family_by_mutation(self, client_mutation_id) -> Family | None:
        """The family created by `createFamily` with this id (its head insuree included)."""
        return self._family("familyByMutation", clientMutationId=client_mutation_id)

    def check_insuree_number(self, number) -> str | None:
        """openIMIS's own format check (`insureeNumberValidity`): None if valid, else its message.
        Uniqueness is not part of it (openIMIS checks that only when creating)."""
        result = self.execute(Q_NUMBER_VALIDITY, {"number": number}, op="insureeNumberValidity")
        validity = result["insureeNumberValidity"] or {}
        return None if validity.get("isValid") else (validity.get("errorMessage") or "Invalid insuree number")

    def validate_insuree_number(self, number) -> str | None:
        """Local check against the configured rule (no network): None if valid, else openIMIS's message."""
        return self.number_rule.validate(number)

    def generate_insuree_number(self, rng=None) -> str:
        """A number satisfying the configured rule (check it is free with `find_insuree`)."""
        return self.number_rule.generate(rng)

    # ------------------------------------------------------------------ code lists (cached)
    def _code_list(self, name):
        query, key, code_key, label_key = Q_CODES[name]

        def load():
            rows = self.execute(query, op=key)[key] or []
            return [CodeItem(code=str(r[code_key]), label=r[label_key], alt_label=r.get("altLanguage"),
                             sort_order=r.get("sortOrder")) for r in rows]
        return self._cached(name, load)

    def genders(self) -> list[CodeItem]:
        return self._code_list("genders")

    def marital_statuses(self) -> list[CodeItem]:
        """Static in openIMIS (web UI constant N/W/S/D/M); no query exists, so no network call."""
        return [CodeItem(code=code, label=label, sort_order=i) for i, (code, label) in enumerate(MARITAL_STATUSES)]

    def professions(self) -> list[CodeItem]:
        return self._code_list("professions")

    def educations(self) -> list[CodeItem]:
        return self._code_list("educations")

    def identification_types(self) -> list[CodeItem]:
        return self._code_list("identification_types")

    def relations(self) -> list[CodeItem]:
        return self._code_list("relations")

    def locations(self, type=None) -> list[Location]:
        """Locations of one type ("R", "D", "W", "V") or all, as openIMIS lists them."""
        def load():
            nodes = self._pages(Q_LOCATIONS, "locations", {"type": type}, op="locations")
            return [Location(id=decode_id(n["id"]), uuid=n["uuid"], code=n["code"], name=n["name"], type=n["type"],
                             parent_id=decode_id((n.get("parent") or {}).get("id"))) for n in nodes]
        return self._cached(("locations", type), load)

    def villages(self) -> list[Location]:
        """Villages with their region / district / municipality names in `path` (for a picker's labels)."""
        def load():
            everything = {loc.id: loc for loc in self.locations()}
            result = []
            for loc in everything.values():
                if loc.type != "V":
                    continue
                path, parent = [], everything.get(loc.parent_id)
                while parent is not None:
                    path.insert(0, parent.name)
                    parent = everything.get(parent.parent_id)
                result.append(Location(loc.id, loc.uuid, loc.code, loc.name, loc.type, loc.parent_id, tuple(path)))
            return sorted(result, key=lambda v: v.label)
        return self._cached("villages", load)

    def products(self, location_id=None) -> list[Product]:
        """Insurance products (for a village: its own, its parents' and national ones)."""
        def load():
            nodes = self._pages(Q_PRODUCTS, "products", {"location": location_id}, op="products")
            return [Product(id=decode_id(n["id"]), uuid=n["uuid"], code=n["code"], name=n["name"],
                            insurance_period=n.get("insurancePeriod"), lump_sum=_decimal(n.get("lumpSum")),
                            date_from=n.get("dateFrom"), date_to=n.get("dateTo"),
                            location_id=decode_id((n.get("location") or {}).get("id"))) for n in nodes]
        return self._cached(("products", location_id), load)

    def officers(self) -> list[Officer]:
        """Enrolment officers usable as a policy's officer (`policyOfficers`, the policy UI's list)."""
        def load():
            nodes = self._pages(Q_OFFICERS, "policyOfficers", op="policyOfficers")
            return [Officer(id=decode_id(n["id"]), uuid=n["uuid"], code=n["code"], last_name=n["lastName"],
                            other_names=n["otherNames"], phone=n.get("phone"), email=n.get("email")) for n in nodes]
        return self._cached("officers", load)

    # ------------------------------------------------------------------ policies
    def policy_values(self, *, product_id, family_id, enroll_date) -> PolicyTerms:
        """openIMIS's start date, expiry date and value for a new policy (`policyValues`, stage N)."""
        enroll = enroll_date.isoformat() if isinstance(enroll_date, date) else str(enroll_date)
        data = self.execute(Q_POLICY_VALUES, {"enrollDate": f"{enroll[:10]}T00:00:00", "productId": int(product_id),
                                              "familyId": int(family_id)}, op="policyValues")
        policy = (data.get("policyValues") or {}).get("policy") or {}
        try:
            return PolicyTerms(_date(policy["startDate"]), _date(policy["expiryDate"]), Decimal(str(policy["value"])))
        except (KeyError, TypeError, InvalidOperation):
            raise PermanentPeerError("openIMIS sent malformed policy values", peer=PEER) from None

    def policies_of_family(self, family_uuid) -> list[Policy]:
        """The family's policies, newest first (`policiesByFamily`; takes the family's uuid)."""
        if isinstance(family_uuid, Family):
            family_uuid = family_uuid.uuid
        nodes = self._pages(Q_POLICIES_BY_FAMILY, "policiesByFamily", {"familyUuid": family_uuid},
                            op="policiesByFamily")
        return [Policy(id=n.get("policyId"), uuid=n["policyUuid"], product_code=n.get("productCode"),
                       product_name=n.get("productName"), officer_code=n.get("officerCode"),
                       enroll_date=_date(n.get("enrollDate")), start_date=_date(n.get("startDate")),
                       effective_date=_date(n.get("effectiveDate")), expiry_date=_date(n.get("expiryDate")),
                       status=n.get("status"), value=_decimal(n.get("policyValue"))) for n in nodes]


def _first_error(body):
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
            return str(errors[0].get("message"))
    return None


def _optional_int(value, default):
    if value is None:
        return default
    if value == "" or str(value).lower() in ("none", "0"):
        return None
    return int(value)


def from_config(config: Mapping) -> OpenImisClient:
    """Build the client from the app's config: PORTAL_OPENIMIS_URL / _USER / _PASSWORD / _TIMEOUT and the number
    rule PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH / _MODULO (0 or "" = no rule). Defaults live in portal/config.py."""
    if not config.get("PORTAL_OPENIMIS_URL"):
        raise PermanentPeerError("openIMIS is not configured: set PORTAL_OPENIMIS_URL", peer=PEER)
    return OpenImisClient(
        config["PORTAL_OPENIMIS_URL"],
        config.get("PORTAL_OPENIMIS_USER") or "",
        config.get("PORTAL_OPENIMIS_PASSWORD") or "",
        float(config.get("PORTAL_OPENIMIS_TIMEOUT") or 10.0),
        insuree_number_length=_optional_int(config.get("PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH"), None),
        insuree_number_modulo=_optional_int(config.get("PORTAL_OPENIMIS_INSUREE_NUMBER_MODULO"), None),
    )
