"""Deterministic seed for the sandbox openSPP: about 1,000 individuals in households.

Records are shaped like the Odoo `res.partner` rows of an openSPP 17 registry (g2p_registry_individual):
`name` is what the UI's onchange writes, "FAMILY, GIVEN ADDL" upper-cased; individuals created through the
REST API keep the name as sent (mixed case), which is why a case-sensitive `name like` search finds one
spelling and not the other. A few records are planted at fixed ids (see PLANTED) so tests and the README
can name them; the rest come from a seeded random generator over `names.json`.
"""

import json
import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

# Birthdates and registration dates are drawn relative to this fixed day, so the seed never drifts.
REFERENCE_DATE = date(2025, 6, 30)
# The wiki sample's create_date/write_date carry +05:45 (a Nepal server): Odoo renders them in the user's tz.
SERVER_TZ = timezone(timedelta(hours=5, minutes=45))
FIRST_PARTNER_ID = 11  # Odoo's own partners (company, admin, public user...) take the first ids
DEFAULT_SIZE = 1000

NATIONAL_ID = "National ID"
PASSPORT = "Passport"
BIRTH_CERTIFICATE = "Birth Certificate"


def _planted():
    """Fixed households at the start of the id range: each one exercises a case the portal must handle."""
    return [
        # household 11: a complete adult, an adult without birthdate, a child with only a birth certificate
        {"group": "SHRESTHA HOUSEHOLD", "members": [
            dict(given_name="Sita", addl_name="Kumari", family_name="Shrestha", gender="Female",
                 birthdate=date(1984, 3, 12), birth_place="Pokhara", email="sita.shrestha@example.org",
                 address="Ward 5, Lakeside, Pokhara", registration_date=date(2021, 4, 28),
                 ids=[(NATIONAL_ID, "NP-1984031201"), (PASSPORT, "PA1234567")],
                 phones=["+977 9841234567", "+977 9801234567"]),
            dict(given_name="Ram", family_name="Shrestha", gender="Male", birthdate=None,
                 registration_date=date(2021, 4, 28), ids=[(NATIONAL_ID, "NP-1979000002")],
                 phones=["+977 9847654321"]),
            dict(given_name="Anjali", family_name="Shrestha", gender="Female", birthdate=date(2015, 8, 1),
                 registration_date=date(2021, 4, 28), ids=[(BIRTH_CERTIFICATE, "BC-2015-0801-77")], phones=[]),
        ]},
        # household 15: two different people with the same name
        {"group": "GURUNG HOUSEHOLD", "members": [
            dict(given_name="Maya", family_name="Gurung", gender="Female", birthdate=date(1990, 1, 15),
                 registration_date=date(2022, 2, 3), ids=[(NATIONAL_ID, "NP-1990011503")],
                 phones=["+977 9812345678"]),
            dict(given_name="Maya", family_name="Gurung", gender="Female", birthdate=date(1962, 7, 4),
                 registration_date=date(2022, 2, 3), ids=[(NATIONAL_ID, "NP-1962070404")], phones=[]),
        ]},
        # household 18: non-ASCII name
        {"group": "NGUYỄN HOUSEHOLD", "members": [
            dict(given_name="Thị Hương", family_name="Nguyễn", gender="Female", birthdate=date(1988, 9, 9),
                 birth_place="Huế", registration_date=date(2023, 6, 12), ids=[(NATIONAL_ID, "VN-1988090905")],
                 phones=["+84 901234567"], email="huong.nguyen@example.org"),
        ]},
        # household 20: created through the REST API (mixed-case name, no ids), and a member without sex
        {"group": "MUÑOZ HOUSEHOLD", "members": [
            dict(given_name="José", family_name="Muñoz", gender="Male", birthdate=date(1978, 11, 30),
                 registration_date=date(2024, 1, 9), ids=[], phones=["+63 9171234567"], api_name=True),
            dict(given_name="Lucía", family_name="Muñoz", gender=None, birthdate=date(2001, 2, 2),
                 registration_date=date(2024, 1, 9), ids=[(NATIONAL_ID, "PH-2001020207")], phones=[]),
        ]},
        # household 23: Devanagari script
        {"group": "शर्मा HOUSEHOLD", "members": [
            dict(given_name="सीता", family_name="शर्मा", gender="Female", birthdate=date(1995, 5, 5),
                 registration_date=date(2024, 3, 1), ids=[(NATIONAL_ID, "NP-1995050508")], phones=[]),
        ]},
    ]


# Facts the tests and the README refer to (ids follow from FIRST_PARTNER_ID and the planted order above).
PLANTED = {
    "complete": 12,            # SHRESTHA, SITA KUMARI: every field, two ids, two phones, email
    "no_birthdate": 13,        # SHRESTHA, RAM
    "birth_certificate_only": 14,  # SHRESTHA, ANJALI (a child)
    "same_name": (16, 17),     # GURUNG, MAYA twice
    "non_ascii": 19,           # NGUYỄN, THỊ HƯƠNG
    "no_ids": 21,              # "José Muñoz" (REST-created: mixed case, no reg_ids: invisible to DCI search)
    "no_gender": 22,           # MUÑOZ, LUCÍA
    "devanagari": 24,          # शर्मा, सीता
    "group": 11,               # a household: /individual/11 is "not present"
}


def ui_name(family, given, addl):
    """The name g2p_registry_individual's onchange writes: "FAMILY, GIVEN ADDL", upper-cased."""
    name = ""
    if family:
        name += family + ", "
    if given:
        name += given + " "
    if addl:
        name += addl + " "
    return name.upper().strip()


def api_name(family, given, addl):
    return " ".join(part for part in (given, addl, family) if part)


class _Ids:
    """Odoo sequences: one for partners (individuals and groups share it), one per child table."""

    def __init__(self):
        self.partner = FIRST_PARTNER_ID
        self.reg_id = 1
        self.phone = 1

    def next_partner(self):
        value = self.partner
        self.partner += 1
        return value

    def next_reg_id(self):
        value = self.reg_id
        self.reg_id += 1
        return value

    def next_phone(self):
        value = self.phone
        self.phone += 1
        return value


def _stamp(rng, day):
    """create_date on the registration day, in the server's timezone, to the second."""
    seconds = rng.randrange(8 * 3600, 18 * 3600)
    return datetime.combine(day, time(0, 0), SERVER_TZ) + timedelta(seconds=seconds)


def _record(ids, rng, household_id, spec):
    family, given, addl = spec["family_name"], spec["given_name"], spec.get("addl_name")
    registration = spec["registration_date"]
    created = _stamp(rng, registration)
    written = created + timedelta(days=rng.randrange(0, 400), seconds=rng.randrange(0, 86400))
    partner_id = ids.next_partner()
    reg_ids = []
    for id_type, value in spec.get("ids", []):
        expiry = registration + timedelta(days=3650) if id_type == PASSPORT else None
        reg_ids.append({"id": ids.next_reg_id(), "id_type": id_type, "value": value, "expiry_date": expiry})
    phones = []
    for number in spec.get("phones", []):
        phones.append({"id": ids.next_phone(), "phone_no": number, "phone_sanitized": number.replace(" ", ""),
                       "date_collected": registration})
    return {
        "id": partner_id,
        "name": api_name(family, given, addl) if spec.get("api_name") else ui_name(family, given, addl),
        "given_name": given,
        "addl_name": addl,
        "family_name": family,
        "gender": spec.get("gender"),
        "birthdate": spec.get("birthdate"),
        "birth_place": spec.get("birth_place"),
        "email": spec.get("email"),
        "address": spec.get("address"),
        "registration_date": registration,
        "create_date": created,
        "write_date": max(written, created),
        "reg_ids": reg_ids,
        "phones": phones,
        "household_id": household_id,
        "is_group": False,
    }


def _ascii(text):
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _random_household(rng, community, used_values, size):
    family = rng.choice(community["family"])
    registration = REFERENCE_DATE - timedelta(days=rng.randrange(0, 6 * 365))
    place = rng.choice(community["places"])
    address = f"Ward {rng.randrange(1, 20)}, {place}" if rng.random() < 0.7 else None
    prefix, digits = community["phone"]
    members = []
    taken = set()  # parents do not give two children the same first name
    for position in range(size):
        adult = position < 2 or rng.random() < 0.3
        gender = rng.choice(["Male", "Female"])
        roll = rng.random()
        if roll < 0.02:
            gender = None
        elif roll < 0.03:
            gender = "Other"
        pool = community["male"] if gender == "Male" else community["female"]
        given = rng.choice([name for name in pool if name not in taken] or pool)
        taken.add(given)
        addl = rng.choice(pool) if rng.random() < 0.3 else None
        if adult:
            birthdate = REFERENCE_DATE - timedelta(days=rng.randrange(18 * 365, 85 * 365))
        else:
            birthdate = REFERENCE_DATE - timedelta(days=rng.randrange(0, 18 * 365))
        if rng.random() < 0.05:
            birthdate = None

        def unique(make):
            value = make()
            while value in used_values:
                value = make()
            used_values.add(value)
            return value

        ids = []
        roll = rng.random()
        if roll >= 0.05:  # 5% have no registration id at all
            if adult or roll < 0.6:
                ids.append((NATIONAL_ID, unique(lambda: f"{community['id_prefix']}-{rng.randrange(10**9, 10**10)}")))
            else:
                ids.append((BIRTH_CERTIFICATE, unique(lambda: f"BC-{rng.randrange(10**7, 10**8)}")))
            if adult and rng.random() < 0.2:
                ids.append((PASSPORT, unique(lambda: f"P{rng.randrange(10**6, 10**7)}")))
        phones = []
        if adult:
            count = rng.choices([0, 1, 2], weights=[10, 80, 10])[0]
            for _ in range(count):
                phones.append(f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}")
        email = None
        if adult and rng.random() < 0.3:
            local = _ascii(given) + "." + _ascii(family)
            email = f"{local or 'user'}{rng.randrange(1, 99)}@example.org"
        members.append(dict(
            given_name=given, addl_name=addl, family_name=family, gender=gender, birthdate=birthdate,
            birth_place=place if rng.random() < 0.5 else None, email=email, address=address,
            registration_date=registration, ids=ids, phones=phones, api_name=rng.random() < 0.08,
        ))
    return {"group": f"{family.upper()} HOUSEHOLD", "members": members}


def generate(size=DEFAULT_SIZE, seed=5):
    """Return (individuals, groups): lists of dicts in id order, the same for the same arguments."""
    rng = random.Random(seed)
    pools = json.loads((Path(__file__).with_name("names.json")).read_text(encoding="utf-8"))["communities"]
    weights = [community["weight"] for community in pools]
    ids = _Ids()
    individuals, groups = [], []
    used_values = {value for household in _planted() for member in household["members"] for _, value in member["ids"]}

    def add(household):
        group_id = ids.next_partner()
        members = [_record(ids, rng, group_id, spec) for spec in household["members"]]
        created = members[0]["create_date"] if members else _stamp(rng, REFERENCE_DATE)
        groups.append({"id": group_id, "name": household["group"], "is_group": True,
                       "member_ids": [m["id"] for m in members], "create_date": created})
        individuals.extend(members)

    for household in _planted():
        add(household)
    while len(individuals) < size:
        community = rng.choices(pools, weights=weights)[0]
        household_size = min(rng.choices([1, 2, 3, 4, 5, 6], weights=[15, 20, 25, 20, 12, 8])[0],
                             size - len(individuals))
        add(_random_household(rng, community, used_values, household_size))
    return individuals, groups
