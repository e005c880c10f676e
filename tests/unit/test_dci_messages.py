"""The DCI enrollment API's message rules (portal/clients/openspp/dci.py and enrollment.py), without HTTP or
database."""

import json
from datetime import date
from pathlib import Path

import pytest

from portal.clients.openspp import dci, enrollment

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dci" / "samples"


def official_sample():
    body = json.loads((SAMPLES / "dci_spdci_standards_ibr_processflow1req.json").read_text())
    return body


def test_official_ibr_sample_parses_with_its_string_total_count():
    message = enrollment.parse_enrollment(official_sample(), "SP-System", max_records=10)
    assert (message.kind, message.message_id, message.sender_id) == \
        ("envelope", "0c96614c-7255-4774-b109-cd53ee851769", "SP-System")
    [beneficiary] = message.beneficiaries
    assert beneficiary.problem is None and beneficiary.reference_id == "NID:0205202401"
    person = beneficiary.individual
    assert (person.given_name, person.addl_name, person.family_name) == ("Test", "Test2", "Test3")
    assert person.birthdate == date(1980, 4, 12) and person.sex == "f" and person.source == "push"


def test_spec_example_shape_with_flat_identifier_and_single_object():
    entry = {"person": {"identifier_type": "NID", "identifier_value": "42",
                        "name": {"first_name": "A", "surname": "B"}, "birth_date": "1990-01-01"}}
    parsed = enrollment.parse_beneficiary(0, entry, "b[0]")
    assert parsed.problem is None and parsed.reference_id == "NID:42"
    entry = {"person": {"identifier": {"identifier_type": "UIN", "identifier_value": "7"},
                        "name": {"given_name": "A", "sur_name": "B"}}}
    assert enrollment.parse_beneficiary(0, entry, "b[0]").reference_id == "UIN:7"


def test_explicit_reference_id_wins():
    entry = {"reference_id": "ref-1", "person": {"identifier_type": "NID", "identifier_value": "42",
                                                 "name": {"given_name": "A", "surname": "B"}}}
    assert enrollment.parse_beneficiary(0, entry, "b[0]").reference_id == "ref-1"


def test_every_problem_of_a_person_is_named():
    entry = {"person": {"identifier": [{"identifier_type": "UIN", "identifier_value": "1"}],
                        "name": {"given_name": 3}, "sex": "x", "birth_date": "1.1.1990"}}
    problem = enrollment.parse_beneficiary(0, entry, "b[0]").problem
    assert problem.split("; ") == [
        "b[0].person.name.given_name must be a string", "b[0].person.name.surname is required",
        "b[0].person.sex 'x' is not one of male, female, other, unknown",
        "b[0].person.birth_date '1.1.1990' is not an ISO 8601 date (YYYY-MM-DD)"]


@pytest.mark.parametrize("value, expected", [(1, 1), ("1", 1), (0, 0), (True, None), ("1.0", None), (-2, None),
                                             (None, None)])
def test_total_count(value, expected):
    assert dci.total_count({"total_count": value}) == expected


def test_header_is_checked_before_anything_else():
    body = {"header": {"message_id": "m", "message_ts": "2025-01-01T00:00:00+05:45", "action": "notify",
                       "sender_id": "sp", "total_count": 1}, "message": {}}
    assert dci.check_header(body, "sp", dci.ENROLL_ACTIONS) == ("m", "sp")
    with pytest.raises(dci.HttpError) as raised:
        dci.check_header(body, "other", dci.ENROLL_ACTIONS)
    assert (raised.value.status, raised.value.code) == (403, "err.sender_id.invalid")


def test_plain_individual_body():
    reference, person = enrollment.parse_individual({"name": "X", "given_name": "Jane", "family_name": "Doe",
                                              "ids": [{"id_type": "Passport", "value": "P1"}]})
    assert reference == "Passport:P1" and person.family_name == "Doe" and person.source == "push"
    with pytest.raises(dci.HttpError) as raised:
        enrollment.parse_individual({"name": "X", "given_name": "Jane", "birthdate": "1990-1-1", "ids": []})
    messages = [e["message"] for e in raised.value.errors]
    assert messages == ["birthdate: '1990-1-1' is not a date in YYYY-MM-DD format"]


def test_answer_header_when_every_item_is_rejected():
    header = {"message_id": "m", "sender_id": "sp", "action": "notify"}
    answer = dci.enrollment_answer(header, "t", "c", [dci.item_response("r", "rjct", "bad")], "portal")
    assert answer["header"]["status"] == "rjct" and answer["header"]["status_reason_code"] == "rjct.errors.too_many"
    assert answer["header"]["action"] == "on-notify" and answer["header"]["receiver_id"] == "sp"
    ok = dci.enrollment_answer(header, "t", "c", [dci.item_response("r", "rcvd")], "portal")
    assert ok["header"]["status"] == "rcvd" and "status_reason_code" not in ok["header"]
