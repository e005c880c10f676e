"""Sandbox MOSIP key manager token ids, identity repository deactivation, data share, ID schema."""

import json
import re

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import login, now

PATCH = "/idrepository/v1/identity/"


@pytest.fixture
def client():
    return login(create_app({"AUTO_PROCESS": False}).test_client())


def deactivate_body(uin, **overrides):
    body = {"id": "mosip.id.update", "version": "v1.0", "requesttime": now(),
            "request": {"registrationId": "10001100040000120250101000000", "status": "DEACTIVATED",
                        "identity": {"IDSchemaVersion": 0.0, "UIN": uin}}}
    body.update(overrides)
    return body


def test_token_ids_are_36_digits_stable_and_partner_specific(client):
    first = client.get("/v1/keymanager/tokenid/2784528096/opencrvs-partner").json["response"]["tokenID"]
    again = client.get("/v1/keymanager/tokenid/2784528096/opencrvs-partner").json["response"]["tokenID"]
    other = client.get("/v1/keymanager/tokenid/2784528096/another-partner").json["response"]["tokenID"]
    assert re.fullmatch(r"\d{36}", first) and first == again and first != other


def test_deactivating_a_known_uin(client):
    response = client.patch(PATCH, json=deactivate_body("2784528096"))
    assert response.status_code == 200
    assert response.json["response"] == {"status": "DEACTIVATED"} and response.json["errors"] is None
    read = client.get("/idrepository/v1/identity/idvid/2784528096").json["response"]
    assert read["status"] == "DEACTIVATED"


# Bodies are built in the test, not at collection: the identity repository refuses a requesttime 60 s old.
@pytest.mark.parametrize("uin,overrides,code", [
    ("9999999999", {}, "IDR-IDC-007"),
    ("2784528096", {"id": "mosip.id.create"}, "IDR-IDC-002"),
    (None, {}, "IDR-IDC-001"),
], ids=["unknown-uin", "wrong-id", "missing-uin"])
def test_refusals_come_back_in_errors(client, uin, overrides, code):
    response = client.patch(PATCH, json=deactivate_body(uin, **overrides))
    assert response.status_code == 200
    assert response.json["errors"][0]["errorCode"] == code and response.json["response"] is None


def test_vid_resolves_to_its_uin(client):
    assert client.get("/idrepository/v1/vid/8031687218402171").json["response"] == {"UIN": "2784528096"}


def test_latest_id_schema_is_the_string_encoded_schema(client):
    response = client.get("/v1/syncdata/latestidschema?schemaVersion=0").json["response"]
    schema = json.loads(response["schemaJson"])
    assert "fullName" in schema["properties"]["identity"]["properties"]


def test_datashare_unknown_key(client):
    response = client.get("/v1/datashare/get/policy/partner/nope")
    assert response.json["errors"] == [{"errorCode": "DAT-SER-006", "message": "Data share not found"}]
