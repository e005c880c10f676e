"""A webhook delivery becomes a `CrvsEvent`, or a precise 400/422 refusal."""

import json

import pytest

from portal.clients.opencrvs.webhook import IntakeError, parse_event
from portal_sandbox.opencrvs import bundles

WEBHOOK_SAMPLES = ["birth-1", "birth-2", "birth-4", "death-1"]


def delivery(sample="birth-4", topic=None, timestamp="2022-08-24T11:42:02.664Z"):
    kind = bundles.sample_kind(sample)
    topic = topic or ("BIRTH_REGISTERED" if kind == "birth" else "DEATH_REGISTERED")
    return {"timestamp": timestamp, "id": "b249d9c0-8067-4259-99e1-d8ae3db1394c",
            "event": {"hub": {"topic": topic}, "context": [bundles.load_sample(sample)]}}


@pytest.mark.parametrize("sample", sorted(bundles.SAMPLES))
def test_every_sample_parses_from_raw_bytes(sample):
    event = parse_event(json.dumps(delivery(sample)).encode())

    assert event.source == "webhook"
    assert event.kind == bundles.sample_kind(sample)
    assert event.topic == ("BIRTH_REGISTERED" if event.kind == "birth" else "DEATH_REGISTERED")
    assert event.record is not None and event.tracking_id == event.record.tracking_id
    assert event.fields()["fullName"].startswith('[{"language":"eng","value":')


def test_birth_event_carries_ids_and_people():
    event = parse_event(delivery("birth-4"))

    assert event.event_id == "BIRTH_REGISTERED:66854a75-94c8-47fb-9d00-e8c64cc0e4b3"
    assert event.tracking_id == "ABCDEF3"
    assert event.registration_number == "2022ABCDEF3"
    assert event.mosip_aid == "45451454520002120220824173802"
    assert event.deceased_national_id is None
    assert event.webhook_id == "b249d9c0-8067-4259-99e1-d8ae3db1394c"
    assert event.timestamp == "2022-08-24T11:42:02.664Z"
    assert event.record.mother.full_name() == "Sara Mosip"
    assert not event.is_correction


def test_death_event_carries_the_deceased_national_id():
    event = parse_event(delivery("death-1"))

    assert event.kind == "death"
    assert event.deceased_national_id == "2784528096"
    assert event.registration_number == "2022DJK5F5R"


def test_the_same_record_delivered_twice_has_one_event_id():
    # OpenCRVS's `id` is the subscription's webhook id and the timestamp changes: neither tells events apart.
    first = parse_event(delivery("birth-4", timestamp="2022-08-24T11:42:02.664Z"))
    again = parse_event(delivery("birth-4", timestamp="2022-08-24T11:45:00.000Z"))

    assert first.event_id == again.event_id


def test_two_records_have_two_event_ids():
    assert parse_event(delivery("birth-1")).event_id != parse_event(delivery("birth-2")).event_id


def test_each_correction_of_a_record_is_its_own_event():
    first = delivery("birth-4", topic="BIRTH_CORRECTED")
    second = delivery("birth-4", topic="BIRTH_CORRECTED")
    second["event"]["context"][0]["entry"][0]["resource"]["meta"]["versionId"] = "another-version"

    one, two = parse_event(first), parse_event(second)

    assert one.is_correction
    assert one.event_id.startswith("BIRTH_CORRECTED:66854a75-94c8-47fb-9d00-e8c64cc0e4b3:")
    assert one.event_id != two.event_id
    assert one.event_id == parse_event(delivery("birth-4", topic="BIRTH_CORRECTED")).event_id


def remove_child(payload):
    bundle = payload["event"]["context"][0]
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]
    return payload


def remove_ids(payload):
    task = payload["event"]["context"][0]["entry"][0]["resource"]
    task.pop("focus")
    task["identifier"] = []
    return payload


def unnamed_child(payload):
    payload["event"]["context"][0]["entry"][1]["resource"]["name"] = []
    return payload


REFUSALS = [
    ("malformed JSON", b'{"event": {', 400, "malformed JSON"),
    ("empty body", b"", 400, "the body is empty"),
    ("not UTF-8", b"\xff\xfe{}", 400, "not UTF-8"),
    ("JSON array", b"[]", 400, "must be a JSON object"),
    ("no event", {"id": "x"}, 400, "no 'event' object"),
    ("no topic", {"event": {"hub": {}, "context": []}}, 400, "no 'event.hub.topic'"),
    ("unknown topic", delivery(topic="MARRIAGE_REGISTERED"), 422, "unsupported topic 'MARRIAGE_REGISTERED'"),
    ("certified topic", delivery(topic="BIRTH_CERTIFIED"), 422, "unsupported topic"),
    ("empty context", {"event": {"hub": {"topic": "BIRTH_REGISTERED"}, "context": []}}, 422, "no FHIR bundle"),
    ("context not a bundle", {"event": {"hub": {"topic": "BIRTH_REGISTERED"}, "context": [{"a": 1}]}}, 422,
     "expected a FHIR Bundle"),
    ("birth topic, death bundle", delivery("death-1", topic="BIRTH_REGISTERED"), 422, "a death record"),
    ("no child", remove_child(delivery("birth-4")), 422, "no child Patient"),
    ("no record id nor tracking id", remove_ids(delivery("birth-1")), 422, "neither a record id"),
    ("child without a name", unnamed_child(delivery("birth-1")), 422, "the child has no name"),
]


@pytest.mark.parametrize("body, status, message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_unusable_delivery_is_refused_precisely(body, status, message):
    with pytest.raises(IntakeError) as caught:
        parse_event(body)

    assert caught.value.status == status
    assert message in caught.value.message


def test_refusal_messages_carry_no_personal_data():
    payload = delivery("birth-1")
    payload["event"]["context"][0]["entry"][1]["resource"]["birthDate"] = "07/03/2022"

    with pytest.raises(IntakeError) as caught:
        parse_event(payload)

    assert caught.value.status == 422
    assert "07/03/2022" not in caught.value.message and "Mosip" not in caught.value.message


def test_topics_can_be_narrowed():
    with pytest.raises(IntakeError, match="unsupported topic"):
        parse_event(delivery("birth-4", topic="BIRTH_CORRECTED"), topics=("BIRTH_REGISTERED", "DEATH_REGISTERED"))
