"""Building MOSIP requests: PacketDto `fields` encoding, metaInfo, audits, envelopes, requesttime."""

import datetime
import json
import re

import pytest

from portal.clients.mosip import (build_audit, build_meta_info, build_packet_dto, encode_fields, mosip_time,
                                  request_envelope)
from tests.fakes.mosip import mosip_date, multilingual

RID = "10001100040000120220824173802"


def test_multilingual_is_a_json_encoded_language_value_array():
    assert json.loads(multilingual("Round1Test3 OpencrvsMosip")) == [
        {"language": "eng", "value": "Round1Test3 OpencrvsMosip"}]
    assert json.loads(multilingual("Mâle", "fra"))[0] == {"language": "fra", "value": "Mâle"}


@pytest.mark.parametrize("value", ["2022-08-24", "2022-08-24T10:11:12.000Z", datetime.date(2022, 8, 24),
                                   datetime.datetime(2022, 8, 24, 23, 0), "2022/08/24"])
def test_dates_become_yyyy_slash_mm_slash_dd(value):
    assert mosip_date(value) == "2022/08/24"


def test_nonsense_dates_are_refused():
    with pytest.raises(ValueError):
        mosip_date("24/08/2022")


def test_every_field_value_becomes_a_string():
    encoded = encode_fields({"IDSchemaVersion": 0.1, "fullName": [{"language": "eng", "value": "A B"}],
                             "proofOfIdentity": {"format": "none"}, "deceasedStatus": True, "email": None,
                             "phone": "9898989898"})
    assert encoded == {"IDSchemaVersion": "0.1", "fullName": '[{"language": "eng", "value": "A B"}]',
                       "proofOfIdentity": '{"format": "none"}', "deceasedStatus": "true", "phone": "9898989898"}
    assert all(isinstance(v, str) for v in encoded.values())


def test_meta_info_values_are_strings_with_label_lists():
    meta = build_meta_info(RID, "10001", "10004", extra_labels={"opencrvsBRN": "2022B60QW1Y"})
    assert all(isinstance(v, str) for v in meta.values())
    labels = {item["label"]: item["value"] for item in json.loads(meta["metaData"])}
    assert labels == {"registrationType": "NEW", "machineId": "10004", "centerId": "10001",
                      "opencrvsBRN": "2022B60QW1Y"}
    assert meta["registrationId"] == RID
    assert meta["creationDate"] == "20220824173802"  # from the RID, as the legacy mediator does
    assert meta["capturedRegisteredDevices"] == "[]"
    assert {i["label"] for i in json.loads(meta["operationsData"])} >= {"officerId", "supervisorId"}


def test_audit_entry_has_the_packet_handler_event():
    audit = build_audit(RID, uuid="u-1", when=datetime.datetime(2025, 2, 25, 11, 7, 33, tzinfo=datetime.timezone.utc))
    assert audit["eventId"] == "REG-EVT-066" and audit["idType"] == "REGISTRATION_ID" and audit["id"] == RID
    assert audit["createdAt"] == "2025-02-25T11:07:33.000Z"


def test_packet_dto_is_camel_case_with_string_fields():
    dto = build_packet_dto(RID, process="CRVS_NEW", source="OPENCRVS", fields={"fullName": multilingual("A B"),
                           "IDSchemaVersion": 0.1}, schema_json="{}", schema_version=0.1, ref_id="10001_10004",
                           meta_info=build_meta_info(RID, "10001", "10004"), audits=[build_audit(RID, uuid="u")])
    assert set(dto) == {"id", "refId", "offlineMode", "process", "source", "schemaVersion", "schemaJson", "fields",
                        "metaInfo", "audits"}
    assert dto["offlineMode"] is False and dto["schemaVersion"] == "0.1" and dto["fields"]["IDSchemaVersion"] == "0.1"


def test_a_packet_without_audits_is_refused_before_sending():
    with pytest.raises(ValueError):
        build_packet_dto(RID, process="CRVS_NEW", source="OPENCRVS", fields={}, schema_json="{}", schema_version="0.1",
                         ref_id="r", meta_info={}, audits=[])


def test_envelope_and_requesttime_format():
    moment = datetime.datetime(2025, 4, 8, 12, 34, 56, 789000, tzinfo=datetime.timezone.utc)
    assert mosip_time(moment) == "2025-04-08T12:34:56.789Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", mosip_time())
    envelope = request_envelope({"registrationId": RID}, id="x", version="v1", requesttime="t")
    assert envelope == {"id": "x", "version": "v1", "requesttime": "t", "request": {"registrationId": RID}}
