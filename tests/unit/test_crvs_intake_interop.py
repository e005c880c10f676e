"""The OpenCRVS v1.9 interop call (`MosipInteropPayload`) becomes a `CrvsEvent` for the same pipeline."""

import json

import pytest

from portal.clients.opencrvs.interop import parse_interop_registration
from portal.clients.opencrvs.webhook import IntakeError
from portal_sandbox.opencrvs import bundles

CLAIMS = {"eventId": "0d6b6a5e-1111-4d5f-9a11-2c3a4b5c6d7e", "actionId": "9f8e7d6c-2222-4b5a-8c9d-0e1f2a3b4c5d"}


def payload(kind="birth", seq=1):
    _, facts = bundles.generate(kind, seq, seed=7)
    return bundles.interop_payload(facts), facts


def test_birth_call_becomes_an_event_with_the_requested_fields():
    body, facts = payload("birth")

    event = parse_interop_registration(json.dumps(body).encode(), CLAIMS)

    assert event.source == "interop"
    assert (event.kind, event.topic) == ("birth", "BIRTH_REGISTERED")
    assert event.event_id == f"BIRTH_REGISTERED:{CLAIMS['eventId']}"
    assert event.tracking_id == facts["tracking_id"]
    assert event.registration_number == facts["registration_number"]
    assert (event.opencrvs_event_id, event.action_id) == (CLAIMS["eventId"], CLAIMS["actionId"])
    fields = event.fields()
    assert fields["birthCertificateNumber"] == facts["registration_number"]
    assert fields["fullName"] == json.dumps([{"language": "eng", "value": facts["name"]}], separators=(",", ":"))
    assert "email" not in fields  # the country config sends '' when there is no email
    assert all(isinstance(v, str) for v in fields.values())


def test_death_call_drops_the_death_number_from_the_packet():
    body, facts = payload("death")

    event = parse_interop_registration(body, CLAIMS)

    assert event.kind == "death"
    assert event.registration_number == facts["registration_number"]
    assert event.deceased_national_id == facts["national_id"]
    assert "deathCertificateNumber" not in event.fields()


def test_same_call_twice_has_one_event_id():
    body, _ = payload()

    assert parse_interop_registration(body, CLAIMS).event_id == parse_interop_registration(body, CLAIMS).event_id


def test_older_tokens_name_the_record_recordId():
    body, _ = payload()

    assert parse_interop_registration(body, {"recordId": "abc"}).event_id == "BIRTH_REGISTERED:abc"


def test_non_string_field_values_are_json_encoded():
    body, _ = payload()
    body["requestFields"]["IDSchemaVersion"] = 0.1
    body["requestFields"]["fullName"] = [{"language": "eng", "value": "Grace Banda"}]

    fields = parse_interop_registration(body, CLAIMS).fields()

    assert fields["IDSchemaVersion"] == "0.1"
    assert fields["fullName"] == '[{"language":"eng","value":"Grace Banda"}]'


def change(path_value):
    body, _ = payload()
    key, value = path_value
    if value is KeyError:
        body["requestFields"].pop(key) if key in body["requestFields"] else body.pop(key)
    else:
        body["requestFields"][key] = value
    return body


REFUSALS = [  # a missing name, date or gender is MOSIP's to refuse: test_opencrvs_interop_few_fields.py
    ("no requestFields", ("requestFields", KeyError), "'requestFields' is missing"),
    ("both numbers", ("deathCertificateNumber", "2025DXXXXXX"), "exactly one of"),
    ("no number", ("birthCertificateNumber", KeyError), "exactly one of"),
]


@pytest.mark.parametrize("edit, message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_unusable_call_is_refused(edit, message):
    with pytest.raises(IntakeError) as caught:
        parse_interop_registration(change(edit), CLAIMS)

    assert caught.value.status == 422
    assert message in caught.value.message


def test_malformed_json_is_a_400():
    with pytest.raises(IntakeError) as caught:
        parse_interop_registration(b"{nope", CLAIMS)

    assert caught.value.status == 400
