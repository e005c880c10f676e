"""openSPP's individuals as the portal knows them, whatever API they came from: `Individual` (and its JSON-safe dict
for snapshots), the readers of the registry REST and DCI person records (pure), and sorting and paging.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

SORTS = ("name", "-name", "registration_date", "-registration_date")


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str


@dataclass(frozen=True)
class Individual:
    """One openSPP individual, whatever API it came from; None = openSPP did not say."""

    openspp_id: str  # stable reference: the partner id (registry) or "<id type>:<value>" (DCI)
    name: str
    given_name: str | None = None
    family_name: str | None = None
    addl_name: str | None = None
    sex: str | None = None  # lower case as openSPP/DCI send it: "male", "female", "other", "m", "f"...
    birthdate: date | None = None
    birth_place: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    registration_date: date | None = None
    address: str | None = None
    source: str = "dci"

    def to_dict(self):
        """A JSON-safe dict (snapshots in the database); `from_dict` reverses it."""
        return {
            "openspp_id": self.openspp_id, "name": self.name, "given_name": self.given_name,
            "family_name": self.family_name, "addl_name": self.addl_name, "sex": self.sex,
            "birthdate": self.birthdate.isoformat() if self.birthdate else None, "birth_place": self.birth_place,
            "phones": list(self.phones), "emails": list(self.emails),
            "identifiers": [{"type": i.type, "value": i.value} for i in self.identifiers],
            "registration_date": self.registration_date.isoformat() if self.registration_date else None,
            "address": self.address, "source": self.source,
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            openspp_id=data["openspp_id"], name=data.get("name") or "", given_name=data.get("given_name"),
            family_name=data.get("family_name"), addl_name=data.get("addl_name"), sex=data.get("sex"),
            birthdate=parse_date(data.get("birthdate")), birth_place=data.get("birth_place"),
            phones=tuple(data.get("phones") or ()), emails=tuple(data.get("emails") or ()),
            identifiers=tuple(Identifier(i["type"], i["value"]) for i in data.get("identifiers") or ()),
            registration_date=parse_date(data.get("registration_date")), address=data.get("address"),
            source=data.get("source") or "dci",
        )


@dataclass(frozen=True)
class Page:
    items: list[Individual]
    total: int
    page: int
    page_size: int
    all_ids: tuple[str, ...] = field(default=(), repr=False)  # every match, for "select all N results"

    @property
    def pages(self):
        return max(1, -(-self.total // self.page_size))


def text(value):
    """openSPP serialises unset Odoo fields as false/null/""; the DCI samples use "" and " "."""
    if value is None or value is False or value is True:
        return None
    value = str(value).strip()
    return value or None


def parse_date(value):
    """ISO date or date-time (DCI sends "1980-04-12T00:00"); "False" (openSPP's str(False)) and "" are None."""
    value = text(value)
    if value is None or value == "False":
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _list(value):
    if value is None or value is False or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _key(identifiers, partner_id=None):
    if partner_id is not None:
        return str(partner_id)
    if identifiers:
        return f"{identifiers[0].type}:{identifiers[0].value}"
    return None


def individual_from_registry(data, source="registry"):
    """An OpenG2P registry individual: the REST response (`reg_ids`, `phone_number_ids`,
    `id_type_as_str`) or the create-request body openSPP's sample shows (`ids`, `phone_numbers`, `id_type`)."""
    if not isinstance(data, Mapping):
        raise ValueError("individual must be an object")
    identifiers = []
    for entry in _list(data.get("reg_ids")) + _list(data.get("ids")):
        if isinstance(entry, Mapping):
            id_type = text(entry.get("id_type_as_str") or entry.get("id_type"))
            value = text(entry.get("value"))
            if id_type and value:
                identifiers.append(Identifier(id_type, value))
    phones = []
    for entry in _list(data.get("phone_number_ids")) + _list(data.get("phone_numbers")):
        number = text(entry.get("phone_sanitized") or entry.get("phone_no")) if isinstance(entry, Mapping) else None
        if number:
            phones.append(number)
    given, family, addl = text(data.get("given_name")), text(data.get("family_name")), text(data.get("addl_name"))
    partner_id = data.get("id") if isinstance(data.get("id"), int) else None
    key = _key(identifiers, partner_id)
    if key is None:
        raise ValueError("individual has neither an id nor a registration id")
    return Individual(
        openspp_id=key,
        name=text(data.get("name")) or " ".join(p for p in (given, addl, family) if p),
        given_name=given, family_name=family, addl_name=addl,
        sex=(text(data.get("gender")) or "").lower() or None,
        birthdate=parse_date(data.get("birthdate")), birth_place=text(data.get("birth_place")),
        phones=tuple(phones), emails=tuple(e for e in [text(data.get("email"))] if e),
        identifiers=tuple(identifiers), registration_date=parse_date(data.get("registration_date")),
        address=text(data.get("address")), source=source,
    )


def individual_from_dci(record, source="dci"):
    """A DCI person record in any of the shapes openSPP and the DCI standard use:
    openSPP 17 (`identifier[{name, identifier}]`, `givenName`, `familyName`, `birthDate`, `sex`),
    the SPDCI Person (`identifier[{identifier_type, identifier_value}]`, `name{given_name, surname|sur_name,
    second_name}`, `birth_date`, `phone_number[]`, `email[]`) and the IBR sample's
    (`name{first_name, second_name, surname}`, sex "F")."""
    if not isinstance(record, Mapping):
        raise ValueError("record must be an object")
    identifiers = []
    for entry in _list(record.get("identifier")):
        if not isinstance(entry, Mapping):
            continue
        id_type = text(entry.get("identifier_type") or entry.get("name") or entry.get("type"))
        value = text(entry.get("identifier_value") or entry.get("identifier") or entry.get("value"))
        if id_type and value:
            identifiers.append(Identifier(id_type, value))
    name = record.get("name")
    if isinstance(name, Mapping):
        given = text(name.get("given_name") or name.get("first_name"))
        family = text(name.get("surname") or name.get("sur_name") or name.get("family_name"))
        addl = text(name.get("second_name"))
    else:
        given, family, addl = text(record.get("givenName")), text(record.get("familyName")), None
    phones = [text(p) for p in _list(record.get("phone_number"))]
    emails = [text(e) for e in _list(record.get("email"))]
    addresses = [a for a in _list(record.get("address")) if a]
    address = None
    if addresses and isinstance(addresses[0], Mapping):
        address = ", ".join(v for v in (text(addresses[0].get(k)) for k in
                                        ("address_line1", "address_line2", "locality")) if v) or None
    elif addresses:
        address = text(addresses[0])
    key = _key(identifiers)
    if key is None:
        raise ValueError("record has no identifier")
    return Individual(
        openspp_id=key,
        name=" ".join(p for p in (given, addl, family) if p),
        given_name=given, family_name=family, addl_name=addl,
        sex=(text(record.get("sex")) or "").lower() or None,
        birthdate=parse_date(record.get("birthDate") or record.get("birth_date") or record.get("birthdate")),
        birth_place=text(record.get("birthPlace") or record.get("birth_place") or record.get("birthplace")),
        phones=tuple(p for p in phones if p), emails=tuple(e for e in emails if e),
        identifiers=tuple(identifiers), registration_date=parse_date(record.get("registration_date")),
        address=address, source=source,
    )


def sort_individuals(items, sort):
    if sort not in SORTS:
        sort = "name"
    reverse = sort.startswith("-")
    if sort.lstrip("-") == "registration_date":
        known = sorted((i for i in items if i.registration_date), key=lambda i: (i.registration_date, i.openspp_id),
                       reverse=reverse)
        return known + [i for i in items if not i.registration_date]
    return sorted(items, key=lambda i: (i.name.casefold(), i.openspp_id), reverse=reverse)


def paginate(items, page, page_size):
    page_size = max(1, int(page_size))
    total = len(items)
    last = max(1, -(-total // page_size))
    page = min(max(1, int(page)), last)
    start = (page - 1) * page_size
    return Page(items=items[start:start + page_size], total=total, page=page, page_size=page_size,
                all_ids=tuple(i.openspp_id for i in items))
