"""openSPP individual -> openIMIS insuree fields: pure functions, no I/O.

openIMIS requires `lastName`, `otherNames`, `genderId` (M/F/O) and `dob` (`openimis/README.md` §4, §6);
`passport` is its identification number with `typeOfIdId` a one-letter code of its identificationTypes table;
values must fit openIMIS's columns (portal/clients/openimis/columns.py). openSPP often lacks a birthdate or a sex
(and its registry REST API never returns them): such an individual cannot be enrolled until the officer supplies
the value, so the mapping names what is missing instead of guessing.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from portal.clients.openimis.columns import INSUREE_MAX_LENGTHS
from portal.messages import joined, message

# openSPP gender values (g2p "Male"/"Female", DCI "male"/"female"/"other", the IBR sample's "F"/"M") -> tblGender.
GENDER_CODES = {
    "male": "M", "m": "M",
    "female": "F", "f": "F",
    "other": "O", "others": "O", "o": "O",
}
# openSPP id type names (case-insensitive) -> openIMIS identification type codes, in order of preference.
# The openIMIS codes are deployment data (tblIdentificationTypes); pass the deployment's own map if it differs.
DEFAULT_ID_TYPES = {
    "national id": "N",
    "nid": "N",
    "uin": "N",
    "passport": "P",
    "driver license": "D",
    "driving license": "D",
    "voter id": "V",
}


@dataclass(frozen=True)
class Problem:
    field: str    # "birthdate", "sex", "family_name", "given_name"
    code: str     # "missing", "unknown", "in_future", "too_long"
    params: dict = field(default_factory=dict)  # e.g. the sex openIMIS does not know

    @property
    def message(self):
        """Plain words for the officer, e.g. "birthdate missing in openSPP" (key `mapping.<field>.<code>`)."""
        return message(f"mapping.{self.field}.{self.code}", **self.params)


class MappingError(ValueError):
    """The individual cannot become an insuree as is; `problems` says why, one entry per field."""

    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message.text for p in self.problems))

    @property
    def message(self):
        """All the problems as one Message ("a; b" in English)."""
        return joined([p.message for p in self.problems])

    @property
    def fields(self):
        return {p.field for p in self.problems}


@dataclass(frozen=True)
class InsureeFields:
    """What openIMIS's createFamily.headInsuree needs, in our own names."""

    last_name: str
    other_names: str
    gender_id: str
    dob: date
    phone: str | None = None
    email: str | None = None
    identification_number: str | None = None  # openIMIS `passport`
    identification_type: str | None = None    # openIMIS `typeOfIdId`
    current_address: str | None = None
    json_ext: dict = field(default_factory=dict)


def gender_code(sex):
    """openSPP/DCI sex -> openIMIS genderId, or None when unknown or missing."""
    if not sex:
        return None
    return GENDER_CODES.get(str(sex).strip().lower())


def pick_identification(identifiers, id_types=None):
    """(number, type code) of the most preferred identifier openIMIS knows, or (None, None)."""
    id_types = {k.casefold(): v for k, v in (id_types or DEFAULT_ID_TYPES).items()}
    order = list(id_types)
    best = None
    for identifier in identifiers:
        name = identifier.type.casefold()
        if name not in id_types or not identifier.value or len(identifier.value) > INSUREE_MAX_LENGTHS["passport"]:
            continue
        rank = order.index(name)
        if best is None or rank < best[0]:
            best = (rank, identifier.value, id_types[name])
    return (best[1], best[2]) if best else (None, None)


def _fit(value, limit):
    value = (value or "").strip()
    return value[:limit] if value else None


def to_insuree(individual, *, overrides: Mapping | None = None, id_types: Mapping | None = None,
               today: date | None = None):
    """InsureeFields for `individual`, or MappingError listing every field openIMIS would refuse.

    `overrides` carries what the officer supplied: `birthdate` (date), `sex` (any value gender_code knows).
    """
    overrides = overrides or {}
    today = today or date.today()
    problems = []

    family = (individual.family_name or "").strip()
    given = " ".join(p.strip() for p in (individual.given_name, individual.addl_name) if p and p.strip())
    if not family:
        problems.append(Problem("family_name", "missing"))
    elif len(family) > INSUREE_MAX_LENGTHS["last_name"]:
        problems.append(Problem("family_name", "too_long", {"limit": INSUREE_MAX_LENGTHS["last_name"]}))
    if not given:
        problems.append(Problem("given_name", "missing"))
    elif len(given) > INSUREE_MAX_LENGTHS["other_names"]:
        problems.append(Problem("given_name", "too_long", {"limit": INSUREE_MAX_LENGTHS["other_names"]}))

    sex = overrides.get("sex") or individual.sex
    gender = gender_code(sex)
    if not sex:
        problems.append(Problem("sex", "missing"))
    elif gender is None:
        problems.append(Problem("sex", "unknown", {"sex": sex}))

    dob = overrides.get("birthdate") or individual.birthdate
    if dob is None:
        problems.append(Problem("birthdate", "missing"))
    elif dob > today:
        problems.append(Problem("birthdate", "in_future"))

    if problems:
        raise MappingError(problems)

    number, id_type = pick_identification(individual.identifiers, id_types)
    email = next((e.strip() for e in individual.emails if e and "@" in e), None)
    return InsureeFields(
        last_name=family,
        other_names=given,
        gender_id=gender,
        dob=dob,
        phone=_fit(individual.phones[0] if individual.phones else None, INSUREE_MAX_LENGTHS["phone"]),
        email=email if email and len(email) <= INSUREE_MAX_LENGTHS["email"] else None,
        identification_number=number,
        identification_type=id_type,
        current_address=_fit(individual.address, INSUREE_MAX_LENGTHS["current_address"]),
        json_ext={"openspp_id": individual.openspp_id, "source": f"openspp:{individual.source}"},
    )
