"""Sandbox MOSIP packet manager: PacketDto binding, `fields` against the ID schema, MOSIP's failure shapes."""

import json

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import CREATE, birth_fields, login, ml, new_rid, packet_body


@pytest.fixture
def client():
    return login(create_app({"AUTO_PROCESS": False}).test_client())


def test_a_valid_packet_answers_one_packet_info_per_sub_packet(client):
    rid = new_rid(client)
    response = client.put(CREATE, json=packet_body(rid))
    assert response.status_code == 200
    payload = response.json
    assert payload["id"] == "mosip.registration.packet.writer" and payload["version"] == "v1"
    assert payload["errors"] == []
    assert [info["packetName"] for info in payload["response"]] == [f"{rid}_evidence", f"{rid}_optional", f"{rid}_id"]
    info = payload["response"][0]
    assert info["providerName"] == "PacketWriterImpl" and info["providerVersion"] == "v1.0"
    assert info["source"] == "CRVS1" and info["process"] == "CRVS_NEW" and info["refId"] == "10001_10004"


def test_numbers_are_coerced_to_strings_like_jackson(client):
    rid = new_rid(client)
    response = client.put(CREATE, json=packet_body(rid, birth_fields(IDSchemaVersion=0.1)))
    assert response.json["response"]


@pytest.mark.parametrize("value", [{"language": "eng"}, [{"language": "eng", "value": "Ada"}]], ids=["object", "array"])
def test_a_field_that_is_not_a_string_is_an_http_400_from_spring(client, value):
    rid = new_rid(client)
    response = client.put(CREATE, json=packet_body(rid, birth_fields(fullName=value)))
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request"


BAD_PACKETS = {
    "missing-mandatory-region": dict(fields=birth_fields(region=None)),
    "plain-string-fullname": dict(fields=birth_fields(fullName="Ada Lovelace")),
    "iso-date": dict(fields=birth_fields(dateOfBirth="2022-08-24")),
    "field-not-in-schema": dict(fields=birth_fields(favouriteColour="blue")),
    "no-audits": dict(audits=[]),
    "bad-postal-code": dict(fields=birth_fields(postalCode="12")),
}


@pytest.mark.parametrize("case", BAD_PACKETS.values(), ids=BAD_PACKETS.keys())
def test_invalid_packets_answer_200_with_null_response_and_no_error(client, case):
    rid = new_rid(client)
    response = client.put(CREATE, json=packet_body(rid, **case))
    assert response.status_code == 200
    assert response.json["response"] is None
    assert response.json["errors"] == []
    failures = client.get("/_sandbox/state").json["packet_failures"]
    assert failures[-1]["id"] == rid and failures[-1]["reason"]


def test_an_unknown_source_and_process_is_ker_put_006(client):
    rid = new_rid(client)
    response = client.put(CREATE, json=packet_body(rid, process="BIRTH", source="ELSEWHERE"))
    assert response.status_code == 200
    assert response.json["errors"] == [
        {"errorCode": "KER-PUT-006", "message": "No available provider for given source and process"}]


def test_a_death_packet_needs_the_uin(client):
    rid = new_rid(client)
    death = {"IDSchemaVersion": "0.1", "fullName": ml("Late Person"), "deathDeclared": "yes",
             "dateOfDeath": "2024/01/02"}
    assert client.put(CREATE, json=packet_body(rid, death, process="CRVS_DEATH")).json["response"] is None
    death["UIN"] = "2784528096"
    assert client.put(CREATE, json=packet_body(rid, death, process="CRVS_DEATH")).json["response"]


def test_the_same_packet_id_twice_overwrites(client):
    rid = new_rid(client)
    client.put(CREATE, json=packet_body(rid))
    client.put(CREATE, json=packet_body(rid, birth_fields(fullName=ml("Grace Hopper"))))
    packets = [p for p in client.get("/_sandbox/state").json["packets"] if p["id"] == rid]
    assert len(packets) == 1 and json.loads(packets[0]["fields"]["fullName"])[0]["value"] == "Grace Hopper"


def test_unreadable_json_is_a_400(client):
    response = client.put(CREATE, data="{not json", content_type="application/json")
    assert response.status_code == 400
