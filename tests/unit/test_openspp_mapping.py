"""openSPP individual -> openIMIS insuree fields, with the official DCI samples and the seed's hard cases."""

import json
from datetime import date
from pathlib import Path

import pytest

from portal.clients.openspp import Identifier, Individual, individual_from_dci, individual_from_registry
from portal.enrollment.mapping import MappingError, gender_code, pick_identification, to_insuree

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dci" / "samples"
TODAY = date(2025, 7, 1)


def person(**fields):
    base = dict(openspp_id="12", name="SHRESTHA, SITA KUMARI", given_name="Sita", addl_name="Kumari",
                family_name="Shrestha", sex="female", birthdate=date(1984, 3, 12),
                phones=("+9779841234567",), emails=("sita.shrestha@example.org",),
                identifiers=(Identifier("Passport", "PA1234567"), Identifier("National ID", "NP-1984031201")),
                address="Ward 5, Lakeside, Pokhara")
    return Individual(**{**base, **fields})


def test_complete_individual_maps_every_field():
    insuree = to_insuree(person(), today=TODAY)
    assert insuree.last_name == "Shrestha"
    assert insuree.other_names == "Sita Kumari"
    assert insuree.gender_id == "F"
    assert insuree.dob == date(1984, 3, 12)
    assert insuree.phone == "+9779841234567"
    assert insuree.email == "sita.shrestha@example.org"
    assert (insuree.identification_number, insuree.identification_type) == ("NP-1984031201", "N")
    assert insuree.current_address == "Ward 5, Lakeside, Pokhara"
    assert insuree.json_ext == {"openspp_id": "12", "source": "openspp:dci"}


def test_spdci_sample_record_maps():
    record = json.loads((SAMPLES / "dci_spdci_standards_social_processflow2res.json").read_text())[
        "message"]["search_response"][0]["data"]["reg_records"][0]
    insuree = to_insuree(individual_from_dci(record), today=TODAY)
    assert (insuree.last_name, insuree.other_names, insuree.gender_id) == ("Phumchai", "Sudarat", "F")
    assert insuree.dob == date(1995, 9, 21)
    assert (insuree.identification_number, insuree.identification_type) == ("847951632", "N")
    assert insuree.phone == "+1 (425) 555-1212" and insuree.email == "PhumchaiS@isp.com"


def test_ibr_sample_person_maps():
    request = json.loads((SAMPLES / "dci_spdci_standards_ibr_processflow1req.json").read_text())
    data = request["message"]["receipt_information"]["beneficiaries"][0]["member"]["demographic_info"]["person"]
    insuree = to_insuree(individual_from_dci(data), today=TODAY)
    assert (insuree.last_name, insuree.other_names, insuree.gender_id) == ("Test3", "Test Test2", "F")
    assert insuree.dob == date(1980, 4, 12)
    assert (insuree.identification_number, insuree.identification_type) == ("0205202401", "N")


def test_missing_birthdate_fails_with_a_clear_reason():
    with pytest.raises(MappingError) as raised:
        to_insuree(person(birthdate=None), today=TODAY)
    assert str(raised.value) == "birthdate missing in openSPP"
    assert raised.value.fields == {"birthdate"}


def test_officer_supplied_birthdate_and_sex_are_used():
    insuree = to_insuree(person(birthdate=None, sex=None), overrides={"birthdate": date(1980, 1, 1), "sex": "M"},
                         today=TODAY)
    assert insuree.dob == date(1980, 1, 1) and insuree.gender_id == "M"


def test_registry_wiki_sample_lacks_sex_and_birthdate():
    sample = {"id": 66, "name": "DOE, JANE", "reg_ids": [], "given_name": "Jane", "family_name": "Doe",
              "gender": None, "birthdate": None}
    with pytest.raises(MappingError) as raised:
        to_insuree(individual_from_registry(sample), today=TODAY)
    assert raised.value.fields == {"sex", "birthdate"}


@pytest.mark.parametrize("fields, field, code", [
    ({"family_name": None}, "family_name", "missing"),
    ({"given_name": " ", "addl_name": None}, "given_name", "missing"),
    ({"family_name": "x" * 101}, "family_name", "too_long"),
    ({"sex": "unknown"}, "sex", "unknown"),
    ({"sex": None}, "sex", "missing"),
    ({"birthdate": date(2030, 1, 1)}, "birthdate", "in_future"),
], ids=["no-family-name", "no-given-name", "long-family-name", "unknown-sex", "no-sex", "future-birthdate"])
def test_each_refused_field_is_named(fields, field, code):
    with pytest.raises(MappingError) as raised:
        to_insuree(person(**fields), today=TODAY)
    assert [(p.field, p.code) for p in raised.value.problems] == [(field, code)]


@pytest.mark.parametrize("sex, code", [
    ("Male", "M"), ("male", "M"), ("M", "M"), ("female", "F"), ("F", "F"), ("other", "O"), ("others", "O"),
    ("unknown", None), ("", None), (None, None),
])
def test_gender_codes(sex, code):
    assert gender_code(sex) == code


def test_identification_prefers_national_id_and_skips_unknown_or_too_long():
    ids = (Identifier("Birth Certificate", "BC-1"), Identifier("Passport", "P" * 26), Identifier("Passport", "P1"))
    assert pick_identification(ids) == ("P1", "P")
    assert pick_identification((Identifier("Birth Certificate", "BC-1"),)) == (None, None)
    assert pick_identification((Identifier("Birth Certificate", "BC-1"),), {"Birth Certificate": "B"}) == ("BC-1", "B")


def test_optional_fields_are_dropped_when_openimis_would_refuse_them():
    insuree = to_insuree(person(emails=("not-an-email",), phones=(), identifiers=(), address=None), today=TODAY)
    assert insuree.email is None and insuree.phone is None
    assert insuree.identification_number is None and insuree.current_address is None
