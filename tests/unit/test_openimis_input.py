"""Building openIMIS GraphQL inputs from our dataclasses, checked against the real SDL."""

import json
from datetime import date
from decimal import Decimal

import pytest
from graphql import Undefined, parse, validate
from graphql.utilities import coerce_input_value

from portal.clients import openimis
from portal.clients.openimis import Insuree, family_input, insuree_input, policy_input
from portal.clients.openimis import documents as imis_documents
from portal_sandbox.openimis.graphql_api import FORK_INSUREE_FIELDS, get_schema
from tests.fakes.openimis import DOCUMENTS as test_documents


def jane(**changes):
    values = dict(last_name="Mwakyusa", other_names="Jane Neema", gender_id="F", dob=date(1990, 1, 2),
                  chf_id="1000000057", marital="S", passport="19900102-12345", type_of_id="N",
                  phone="+255700111222", email="jane@example.org", current_address="Plot 4", current_village_id="5",
                  profession_id=2, education_id=3, json_ext={"esignet_sub": "abc", "verified": ["name"]})
    values.update(changes)
    return Insuree(**values)


def test_insuree_input_is_exact():
    assert insuree_input(jane(), head=True) == {
        "chfId": "1000000057", "lastName": "Mwakyusa", "otherNames": "Jane Neema", "genderId": "F",
        "dob": "1990-01-02", "head": True, "marital": "S", "passport": "19900102-12345", "typeOfIdId": "N",
        "phone": "+255700111222", "email": "jane@example.org", "currentAddress": "Plot 4", "currentVillageId": 5,
        "professionId": 2, "educationId": 3, "cardIssued": False,
        "jsonExt": '{"esignet_sub": "abc", "verified": ["name"]}',
    }


def test_json_ext_is_a_json_encoded_string_and_ids_are_ints():
    built = insuree_input(jane(json_ext={"name": "Zoé"}, education_id="4"), family_id="7")
    assert isinstance(built["jsonExt"], str) and json.loads(built["jsonExt"]) == {"name": "Zoé"}
    assert built["educationId"] == 4 and built["familyId"] == 7


def test_empty_values_are_not_sent():
    built = insuree_input(Insuree(last_name="A", other_names="B", gender_id="M", dob=date(2000, 1, 1), email=""))
    assert built == {"lastName": "A", "otherNames": "B", "genderId": "M", "dob": "2000-01-01", "head": False,
                     "cardIssued": False}


def test_only_upstream_fields_never_status_or_fork_fields():
    built = insuree_input(jane(photo="aGVsbG8=", photo_date=date(2024, 5, 1), photo_officer_id=1,
                               relationship_id=4, health_facility_id=9), family_id=3)
    assert set(built) <= set(openimis.UPSTREAM_INSUREE_FIELDS)
    assert "status" not in built and not set(built) & set(FORK_INSUREE_FIELDS)
    assert built["photo"] == {"photo": "aGVsbG8=", "date": "2024-05-01", "officerId": 1}


def test_family_input_wraps_head():
    built = family_input(jane(), client_mutation_id="reg-42", location_id=5, poverty=True,
                         json_ext={"source": "esignet"}, label="Registration 42")
    assert built["clientMutationId"] == "reg-42" and built["clientMutationLabel"] == "Registration 42"
    assert built["locationId"] == 5 and built["poverty"] is True and built["jsonExt"] == '{"source": "esignet"}'
    assert built["headInsuree"]["head"] is True and built["headInsuree"]["chfId"] == "1000000057"
    assert set(built) <= set(openimis.UPSTREAM_FAMILY_FIELDS) | set(openimis.MUTATION_META_FIELDS)


def test_policy_input_is_exact():
    assert policy_input(family_id="3", product_id=1, officer_id=2, enroll_date=date(2025, 3, 10),
                        start_date=date(2025, 3, 10), expiry_date=date(2026, 3, 9), value=Decimal("10000"),
                        client_mutation_id="enr-1:policy") == {
        "clientMutationId": "enr-1:policy", "enrollDate": "2025-03-10", "startDate": "2025-03-10",
        "expiryDate": "2026-03-09", "value": "10000.00", "productId": 1, "familyId": 3, "officerId": 2}


@pytest.mark.parametrize("type_name, build", [
    ("CreateFamilyMutationInput", lambda: family_input(jane(), client_mutation_id="x", location_id=5)),
    ("CreateInsureeMutationInput",
     lambda: {"clientMutationId": "x", **insuree_input(jane(photo="aGk="), head=False, family_id=1)}),
    ("CreatePolicyMutationInput",
     lambda: policy_input(family_id=1, product_id=1, officer_id=1, enroll_date=date(2025, 1, 1),
                          start_date=date(2025, 1, 1), expiry_date=date(2025, 12, 31), value="1",
                          client_mutation_id="x")),
])
def test_built_inputs_coerce_against_the_real_input_types(type_name, build):
    """The sandbox's schema is the real SDL minus the fork-only fields: what upstream openIMIS accepts."""
    assert coerce_input_value(build(), get_schema().type_map[type_name]) is not Undefined  # 3.2 raises instead


def test_coercion_check_catches_what_openimis_refuses():
    head = {**insuree_input(jane()), "placeOfBirth": "Rajo"}
    try:
        result = coerce_input_value(head, get_schema().type_map["FamilyHeadInsureeInputType"])
    except Exception:  # graphql-core 3.2 raises
        result = Undefined
    assert result is Undefined


def test_every_client_document_validates_against_the_real_schema():
    documents = [value for name, value in vars(imis_documents).items()
                 if name.startswith(("Q_", "M_")) and isinstance(value, str)]
    documents += [query for query, *_ in imis_documents.Q_CODES.values()] + list(test_documents)
    assert len(documents) > 10
    for document in documents:
        assert validate(get_schema(), parse(document)) == [], document
