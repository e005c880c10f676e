"""An OpenCRVS `Record` (portal.clients.opencrvs.fhir) as MOSIP identity `fields`: the `fields` map of
`PUT /commons/v1/packetmanager/createPacket`, every value a string, multilingual values JSON-encoded as
`[{"language": "eng", "value": ...}]`, dates `YYYY/MM/DD` (specs/notes/crvs-mosip.md §1.3), each value kept
within the ID schema's validators (specs/crvs/samples/opencrvs-mosip__idSchemaJson_tonga.json) so MOSIP does not
reject the packet for a placeholder or a phone number in the wrong shape. Pure functions: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from portal.clients.opencrvs.fhir import DEFAULT_LANGUAGE, Address, BundleError, Record

# What the OpenCRVS v1.9 country config sends for a missing address part (its `extractMosipAddress`).
PLACEHOLDER = "Not provided"

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# Validators of the ID schema (opencrvs-mosip__idSchemaJson_tonga.json); a value that would fail one is
# left out (optional fields) or replaced by the placeholder (address lines), never sent to be rejected.
_MOSIP_DATE = re.compile(r"^(1869|18[7-9][0-9]|19[0-9][0-9]|20[0-9][0-9])/(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])$")
_PHONE = re.compile(r"^[+]*([0-9]{1})([0-9]{9})$")
_EMAIL = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_]+)*@[A-Za-z0-9_-]+(\.[A-Za-z0-9_]+)*(\.[a-zA-Z]{2,})$")
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9]{5}$")
_UIN = re.compile(r"^[0-9]{10}$")  # mosip.kernel.uin.length=10 (notes §5.7): longer numbers are VIDs


def lang_value(value: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A MOSIP simpleType value as the JSON-encoded string packet manager expects (notes §1.3)."""
    return json.dumps([{"language": language, "value": value}], ensure_ascii=False, separators=(",", ":"))


def lang_values(values: Mapping[str, str]) -> str:
    """Several languages of one simpleType value, e.g. {"eng": "John Doe", "fra": "Jean Doe"}."""
    items = [{"language": lang, "value": value} for lang, value in values.items()]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def to_mosip_date(value: str | None) -> str | None:
    """FHIR `2022-08-24` or `2022-06-23T10:00:00Z` -> MOSIP `2022/08/24`; None when unreadable."""
    match = _ISO_DATE.match(value or "")
    if not match:
        return None
    date = "/".join(match.groups())
    return date if _MOSIP_DATE.match(date) else None


def identity_fields(
    record: Record,
    *,
    id_schema_version: str = "0.1",
    language: str = DEFAULT_LANGUAGE,
    locations: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The `fields` of the createPacket `PacketDto` for this record (all values strings).

    Birth: the child's name, birth date, gender, the mother's (else father's, else informant's) primary
    address, the contact phone/email when they fit the schema, `birthCertificateNumber`. Death: the
    deceased's, plus `nationalIdNumber` (and `UIN` when the number has a UIN's length, since MOSIP's
    CRVS_DEATH process requires `UIN`), `deathDeclared` and `dateOfDeath`. `locations` maps OpenCRVS
    Location ids to names and completes the names found in the bundle.
    """
    subject = record.subject
    if subject is None:
        raise BundleError(f"the record has no {'child' if record.kind == 'birth' else 'deceased'}")
    names = {name.language: name.full for name in subject.names if name.full}
    full_name = {lang: _fit(value, 50) for lang, value in names.items()}
    if not full_name:
        raise BundleError(f"the {subject.role} has no name")
    if any(len(value) < 3 for value in full_name.values()):
        raise BundleError(f"the {subject.role}'s name is shorter than the 3 characters MOSIP requires")
    birth_date = to_mosip_date(subject.birth_date)
    if birth_date is None:
        raise BundleError(f"the {subject.role} has no readable birth date")
    if not subject.gender:
        raise BundleError(f"the {subject.role} has no gender")

    fields = {
        "IDSchemaVersion": str(id_schema_version),
        "fullName": lang_values(full_name),
        "dateOfBirth": birth_date,
        "gender": lang_value(subject.gender.capitalize(), language),
        "preferredLang": language,
    }
    places = {**record.locations, **(locations or {})}
    fields.update(_address_fields(_address_for(record), places, language))
    if record.contact_phone and _PHONE.match(record.contact_phone):
        fields["phone"] = record.contact_phone
    if record.contact_email and _EMAIL.match(record.contact_email):
        fields["email"] = record.contact_email

    if record.kind == "birth":
        if record.registration_number:
            fields["birthCertificateNumber"] = record.registration_number
        parent = next((p for p in (record.mother, record.father, record.informant) if p and p.full_name()), None)
        if parent is not None:
            fields["guardianOrParentName"] = lang_value(_fit(parent.full_name(), 100), language)
    else:
        nid = subject.national_id
        if nid:
            fields["nationalIdNumber"] = nid
            if _UIN.match(nid):
                fields["UIN"] = nid
        fields["deathDeclared"] = "yes"
        death_date = to_mosip_date(subject.deceased_date)
        if death_date:
            fields["dateOfDeath"] = death_date
    return fields


def _address_for(record):
    """Whose address the packet carries: the deceased's, or for a birth the mother's (LEGACY mediator),
    falling back to the child's, the father's and the informant's."""
    order = (record.deceased,) if record.kind == "death" else (
        record.mother, record.child, record.father, record.informant)
    return next((p.address for p in order if p is not None and p.address is not None), None)


def _address_fields(address, places, language):
    """addressLine1..3 from the first address lines (LEGACY mapping `1:1-2|2:2-3|3:3-4`), region/province
    from the state, zone from the district, city from the city (else the district). Location ids are
    replaced by their names when known; the schema's length rules decide placeholder or value."""
    address = address or Address()
    # Only the first three lines: later ones hold other things (the sample's line[5] is "URBAN").
    lines = [line for line in address.lines[:3]] + [""] * 3
    line1 = _fit(lines[0], 50) or PLACEHOLDER
    state = places.get(address.state or "", address.state)
    district = places.get(address.district or "", address.district)
    values = {
        "addressLine1": line1,
        "addressLine2": _between(lines[1], 3, 50),
        "addressLine3": _between(lines[2], 3, 50),
        "region": _fit(state or "", 50) or PLACEHOLDER,
        "province": _fit(state or "", 50) or PLACEHOLDER,
        "zone": _fit(district or "", 50) or PLACEHOLDER,
        "city": _fit(address.city or district or "", 50) or PLACEHOLDER,
    }
    fields = {key: lang_value(value, language) for key, value in values.items()}
    postal = address.postal_code or ""
    fields["postalCode"] = postal if _POSTAL_CODE.match(postal) else "NA"
    return fields


def _fit(value, limit):
    return (value or "").strip()[:limit].strip()


def _between(value, low, high):
    value = _fit(value, high)
    return value if len(value) >= low else PLACEHOLDER
