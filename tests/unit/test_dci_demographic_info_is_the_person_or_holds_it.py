"""A beneficiary's person is read from `member.demographic_info` whether it holds the person under `person` (the
IBR document's Beneficiary example, the official IBR sample) or is the Person itself (the SPDCI IBR mock-up
compliance schema, tests/fixtures/dci/ibr_mockup_compliance_regRecordsSchema-DERIVED.json)."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from portal.clients.openspp import enrollment
from tests.dci_samples import MOCKUP_BENEFICIARY, nested
from tests.dci_spec import FORMATS

MOCKUP_SCHEMA = json.loads((Path(__file__).parents[1] / "fixtures" / "dci"
                            / "ibr_mockup_compliance_regRecordsSchema-DERIVED.json").read_text())


def test_the_test_beneficiary_is_in_the_mockup_compliance_schemas_shape():
    validator = Draft7Validator(MOCKUP_SCHEMA, format_checker=FORMATS)
    assert [e.message for e in validator.iter_errors(MOCKUP_BENEFICIARY)] == []
    assert "person" not in MOCKUP_SCHEMA["properties"]["member"]["properties"]["demographic_info"]["properties"]


@pytest.mark.parametrize("entry", [MOCKUP_BENEFICIARY, nested(MOCKUP_BENEFICIARY)],
                         ids=["demographic-info-is-the-person", "person-under-demographic-info"])
def test_both_shapes_give_the_same_individual(entry):
    parsed = enrollment.parse_beneficiary(0, entry, "b[0]")
    assert parsed.problem is None and parsed.reference_id == "UIN:847951632"
    person = parsed.individual
    assert (person.given_name, person.family_name, person.sex) == ("Sudarat", "Phumchai", "female")
    assert person.birthdate == date(1995, 9, 21)
    assert [(i.type, i.value) for i in person.identifiers] == [("UIN", "847951632")]


@pytest.mark.parametrize("entry, where", [
    (MOCKUP_BENEFICIARY, "b[0].member.demographic_info.name"),
    (nested(MOCKUP_BENEFICIARY), "b[0].member.demographic_info.person.name"),
], ids=["demographic-info-is-the-person", "person-under-demographic-info"])
def test_a_problem_names_the_path_the_sender_used(entry, where):
    entry = copy.deepcopy(entry)
    info = entry["member"]["demographic_info"]
    (info.get("person") or info).pop("name")
    parsed = enrollment.parse_beneficiary(0, entry, "b[0]")
    assert parsed.problem == f"{where} is required and must be an object"


def test_a_demographic_info_that_is_not_an_object_is_named():
    parsed = enrollment.parse_beneficiary(0, {"member": {"demographic_info": "Sudarat"}}, "b[0]")
    assert parsed.problem == "b[0].member.demographic_info is required and must be an object"
