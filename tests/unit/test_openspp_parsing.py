"""Parsing openSPP payloads into Individual: registry REST, openSPP DCI, the SPDCI and IBR sample records."""

import base64
import json
from datetime import date
from pathlib import Path

import pytest

from portal.clients.jwtutil import jwt_expiry
from portal.clients.openspp import (
    Identifier, Individual, individual_from_dci, individual_from_registry, paginate, parse_date,
    sort_individuals,
)

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dci" / "samples"

# The flat object of the openIMIS wiki page (openspp-openimis.md §1.1), as the registry REST API answers.
WIKI_SAMPLE = {
    "id": 66, "name": "DOE, JANE", "reg_ids": [], "is_group": False, "registration_date": "2025-04-28",
    "phone_number_ids": [], "email": None, "address": None, "create_date": "2025-04-28T10:11:12+05:45",
    "write_date": "2025-04-28T10:11:12+05:45", "given_name": "Jane", "addl_name": None, "family_name": "Doe",
    "gender": None, "birthdate": None, "age": "No Birthdate!", "birth_place": None,
}


def sample(name):
    return json.loads((SAMPLES / name).read_text())


def test_registry_wiki_sample_has_no_birthdate_sex_or_ids():
    person = individual_from_registry(WIKI_SAMPLE)
    assert person.openspp_id == "66"
    assert person.name == "DOE, JANE"
    assert (person.given_name, person.family_name) == ("Jane", "Doe")
    assert person.birthdate is None and person.sex is None and person.identifiers == ()
    assert person.registration_date == date(2025, 4, 28)
    assert person.source == "registry"


def test_registry_full_answer_reads_ids_and_phones():
    person = individual_from_registry({
        **WIKI_SAMPLE, "gender": "Female", "birthdate": "1984-03-12", "email": "jane@example.org",
        "reg_ids": [{"id": 1, "id_type_as_str": "National ID", "value": "NP-1", "expiry_date": None}],
        "phone_number_ids": [{"id": 1, "phone_no": "+977 984", "phone_sanitized": "+977984", "date_collected": None}],
    })
    assert person.sex == "female" and person.birthdate == date(1984, 3, 12)
    assert person.identifiers == (Identifier("National ID", "NP-1"),)
    assert person.phones == ("+977984",) and person.emails == ("jane@example.org",)


def test_registry_create_request_body_is_read_too():
    """The plain individual body of the openSPP sample (IndividualInfoRequest): no id, `ids`, `phone_numbers`."""
    person = individual_from_registry({
        "name": "Jane Doe", "given_name": "Jane", "family_name": "Doe", "gender": "Female",
        "birthdate": "1990-01-02", "ids": [{"id_type": "National ID", "value": "N-42"}],
        "phone_numbers": [{"phone_no": "+63 917 000"}], "email": "j@example.org", "is_group": False,
    }, source="push")
    assert person.openspp_id == "National ID:N-42"
    assert person.phones == ("+63 917 000",)
    assert person.source == "push"


def test_registry_body_without_any_id_is_refused():
    with pytest.raises(ValueError):
        individual_from_registry({"name": "x", "given_name": "x", "family_name": "y"})


def test_openspp17_dci_record():
    person = individual_from_dci({
        "identifier": [{"name": "National ID", "identifier": "NP-1"}, {"name": "Passport", "identifier": "P1"}],
        "birthDate": "False", "givenName": "Ram", "familyName": "Shrestha", "sex": "male", "birthPlace": False,
    })
    assert person.openspp_id == "National ID:NP-1"
    assert person.name == "Ram Shrestha"
    assert person.birthdate is None and person.birth_place is None and person.sex == "male"


def test_spdci_social_registry_sample_record():
    record = sample("dci_spdci_standards_social_processflow2res.json")[
        "message"]["search_response"][0]["data"]["reg_records"][0]
    person = individual_from_dci(record)
    assert person.openspp_id == "UIN:847951632"
    assert (person.given_name, person.family_name) == ("Sudarat", "Phumchai")
    assert person.birthdate == date(1995, 9, 21) and person.sex == "female"
    assert person.phones == ("+1 (425) 555-1212", "+1 (425) 555-1321")
    assert person.emails == ("PhumchaiS@isp.com",)
    assert person.address.startswith("Bophut Koh Samui")
    assert person.registration_date == date(2020, 9, 21)


def test_ibr_enrollment_sample_person():
    beneficiary = sample("dci_spdci_standards_ibr_processflow1req.json")[
        "message"]["receipt_information"]["beneficiaries"][0]
    person = individual_from_dci(beneficiary["member"]["demographic_info"]["person"])
    assert person.openspp_id == "NID:0205202401"
    assert (person.given_name, person.addl_name, person.family_name) == ("Test", "Test2", "Test3")
    assert person.sex == "f" and person.birthdate == date(1980, 4, 12)
    assert person.phones == () and person.emails == ()


@pytest.mark.parametrize("raw, expected", [
    ("1980-04-12T00:00", date(1980, 4, 12)), ("1995-09-21", date(1995, 9, 21)), ("False", None), ("", None),
    (None, None), (False, None), ("12/04/1980", None),
], ids=["datetime", "date", "odoo-false", "empty", "none", "false", "not-iso"])
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_individual_round_trips_through_a_dict():
    person = individual_from_dci(sample("dci_spdci_standards_social_processflow2res.json")[
        "message"]["search_response"][0]["data"]["reg_records"][0])
    assert Individual.from_dict(json.loads(json.dumps(person.to_dict()))) == person


def test_jwt_expiry_reads_the_exp_claim():
    payload = base64.urlsafe_b64encode(json.dumps({"exp": 1700000000}).encode()).rstrip(b"=").decode()
    assert jwt_expiry(f"eyJhbGciOiJSUzI1NiJ9.{payload}.sig") == 1700000000
    assert jwt_expiry("opaque-token") is None


def test_sort_and_paginate():
    people = [Individual(openspp_id=str(n), name=name, registration_date=reg)
              for n, (name, reg) in enumerate([("b", date(2020, 1, 1)), ("A", None), ("c", date(2019, 1, 1))])]
    assert [p.name for p in sort_individuals(people, "name")] == ["A", "b", "c"]
    assert [p.name for p in sort_individuals(people, "-name")] == ["c", "b", "A"]
    assert [p.name for p in sort_individuals(people, "registration_date")] == ["c", "b", "A"]
    page = paginate(sort_individuals(people, "name"), page=2, page_size=2)
    assert [p.name for p in page.items] == ["c"] and page.total == 3 and page.pages == 2
    assert page.all_ids == ("1", "0", "2")
    assert paginate(people, page=99, page_size=2).page == 2
