"""What openIMIS holds, as the portal reads it: insurees, families, code lists, locations, products, officers and
policy terms (dataclasses), and the readers of openIMIS's GraphQL nodes (relay ids, dates, decimals, jsonExt).
"""

import base64
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from portal.clients.errors import PermanentPeerError

from .errors import PEER

# Marital status is not a table in openIMIS: the web UI hard-codes INSUREE_MARITAL_STATUS = ["N","W","S","D","M"]
# (openimis-fe-insuree_js src/constants.js) and there is no GraphQL query for it.
MARITAL_STATUSES = (("N", "Not specified"), ("W", "Widowed"), ("S", "Single"), ("D", "Divorced"), ("M", "Married"))


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
class PolicyTerms:
    start_date: date
    expiry_date: date
    value: Decimal


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


def read_date(value):
    """An ISO date or date-time → date; None when empty."""
    return date.fromisoformat(value[:10]) if value else None


def read_decimal(value):
    """A number as openIMIS sends it (text or float) → Decimal; None when missing or unreadable."""
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
        dob=read_date(node.get("dob")), head=bool(node.get("head")), marital=node.get("marital"),
        passport=node.get("passport"), type_of_id=code("typeOfId", "code"), phone=node.get("phone"),
        email=node.get("email"), current_address=node.get("currentAddress"), geolocation=node.get("geolocation"),
        current_village_id=decode_id(code("currentVillage", "id")), profession_id=code("profession", "id"),
        education_id=code("education", "id"), relationship_id=code("relationship", "id"),
        card_issued=bool(node.get("cardIssued")), photo_date=read_date(node.get("photoDate")),
        json_ext=_json(node.get("jsonExt")), family_id=decode_id(family.get("id")), family_uuid=family.get("uuid"),
    )


def family_from_node(node):
    head = node.get("headInsuree")
    return Family(
        id=decode_id(node["id"]), uuid=node["uuid"], head=insuree_from_node(head) if head else None,
        location_id=decode_id((node.get("location") or {}).get("id")), poverty=node.get("poverty"),
        address=node.get("address"), json_ext=_json(node.get("jsonExt")),
    )
