"""The OpenCRVS 1.9 interop call is taken with the fields OpenCRVS's own mosip-api takes: its
`/events/registration` route has no body schema and its handler needs only `requestFields.birthCertificateNumber`
(or `deathCertificateNumber`); what MOSIP's ID schema then lacks is MOSIP's to refuse (opencrvs/mosip
`packages/mosip-api/src/index.ts`, `routes/event-registration.ts`)."""

import json
from pathlib import Path

import pytest

from portal.clients.opencrvs.interop import parse_interop_registration
from portal.clients.opencrvs.webhook import IntakeError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "crvs"
CLAIMS = {"eventId": "0d6b6a5e-1111-4d5f-9a11-2c3a4b5c6d7e", "actionId": "9f8e7d6c-2222-4b5a-8c9d-0e1f2a3b4c5d"}


def fixture(name):
    return (FIXTURES / name).read_bytes()


def test_a_birth_with_only_its_certificate_number_is_taken_as_sent():
    event = parse_interop_registration(fixture("opencrvs-mosip__event-registration-birth-number-only-DERIVED.json"),
                                       CLAIMS)

    assert (event.kind, event.registration_number) == ("birth", "4Q2ZK7M1XC9B")
    assert event.fields() == {"birthCertificateNumber": "4Q2ZK7M1XC9B"}


def test_the_farajaland_country_config_body_is_taken_as_sent():
    # ISO date, one-string name, lower-case gender: mosip-api forwards them as they are, and so do we.
    event = parse_interop_registration(fixture("opencrvs-farajaland__mosip-birth-register-DERIVED.json"), CLAIMS)

    assert event.fields() == {"birthCertificateNumber": "8W3NRT0YH5LD", "fullName": "Ada Grace Banda",
                              "dateOfBirth": "2025-01-02", "gender": "female"}


def test_a_death_with_only_its_certificate_number_is_taken():
    body = {"trackingId": "DQ7XK2M", "requestFields": {"deathCertificateNumber": "9D2ZK7M1XC9B"}}

    event = parse_interop_registration(body, CLAIMS)

    assert (event.kind, event.registration_number, event.deceased_national_id) == ("death", "9D2ZK7M1XC9B", None)
    assert event.fields() == {}


def test_without_a_tracking_id_the_token_names_the_event():
    body = {"requestFields": {"birthCertificateNumber": "4Q2ZK7M1XC9B"}}

    event = parse_interop_registration(body, CLAIMS)

    assert event.tracking_id is None and event.event_id == f"BIRTH_REGISTERED:{CLAIMS['eventId']}"


REFUSALS = [
    ("no requestFields", {"trackingId": "T1"}, "'requestFields' is missing"),
    ("requestFields not an object", {"trackingId": "T1", "requestFields": ["x"]}, "'requestFields' is missing"),
    ("no certificate number", {"trackingId": "T1", "requestFields": {"fullName": "Ada"}}, "exactly one of"),
    ("both certificate numbers", {"trackingId": "T1", "requestFields": {"birthCertificateNumber": "B1",
                                                                        "deathCertificateNumber": "D1"}},
     "exactly one of"),
]


@pytest.mark.parametrize("body, message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_call_naming_no_record_is_still_refused(body, message):
    with pytest.raises(IntakeError) as caught:
        parse_interop_registration(json.dumps(body), CLAIMS)

    assert caught.value.status == 422 and message in caught.value.message


def test_neither_a_tracking_id_nor_an_event_id_is_refused():
    with pytest.raises(IntakeError) as caught:
        parse_interop_registration({"requestFields": {"birthCertificateNumber": "B1"}}, {"actionId": "a"})

    assert caught.value.status == 422 and "'trackingId'" in caught.value.message
