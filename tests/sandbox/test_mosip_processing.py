"""Sandbox MOSIP registration processor: status searches, the simulated processing and its outcomes."""

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import (CORRECTIONS_CRVS1, CREATE, EXTERNAL_STATUS_ID, WORKFLOW, birth_fields, login,
                                         ml, new_rid, packet_body, readme_properties, status_body, workflow_body)

SEARCH = "/registrationprocessor/v1/registrationstatus/search"
EXTERNAL = "/registrationprocessor/v1/registrationstatus/externalstatus/search"


@pytest.fixture
def client():
    return login(create_app({"AUTO_PROCESS": False, "CREDENTIAL_PARTNERS": []}).test_client())


def submit(client, fields=None, process="CRVS_NEW"):
    rid = new_rid(client)
    assert client.put(CREATE, json=packet_body(rid, fields, process=process)).json["response"]
    assert client.post(WORKFLOW, json=workflow_body(rid, process=process)).json["response"]
    return rid


def external(client, rid):
    return client.post(EXTERNAL, json=status_body(rid, id=EXTERNAL_STATUS_ID)).json["response"][0]["statusCode"]


@pytest.fixture
def corrections_client():
    """A sandbox MOSIP with the README's lines for CRVS_UPDATE (a stock MOSIP has no such process)."""
    config = {"AUTO_PROCESS": False, "CREDENTIAL_PARTNERS": [],
              "MOSIP_PROPERTIES": readme_properties(CORRECTIONS_CRVS1)}
    return login(create_app(config).test_client())


def test_unknown_rids_are_reported_in_errors(client):
    rid = "10001100040999920240101000000"
    response = client.post(SEARCH, json=status_body(rid))
    assert response.status_code == 200
    assert response.json["response"] == []
    assert response.json["errors"] == [{"errorCode": "RPR-RGS-031", "errorMessage": "RID Not Found",
                                        "registrationId": rid}]


def test_a_birth_goes_from_processing_to_uin_generated(client):
    rid = submit(client)
    assert external(client, rid) == "PROCESSING"
    client.post("/_sandbox/process")
    assert external(client, rid) == "UIN_GENERATED"
    # the plain search collapses terminal states to PROCESSED
    assert client.post(SEARCH, json=status_body(rid)).json["response"][0]["statusCode"] == "PROCESSED"
    workflow = [w for w in client.get("/_sandbox/state").json["workflows"] if w["rid"] == rid][0]
    assert len(workflow["outcome"]["UIN"]) == 10 and len(workflow["outcome"]["VID"]) == 16


def test_processing_follows_the_configured_delay():
    client = login(create_app({"PROCESSING_DELAY": 0.1, "CREDENTIAL_PARTNERS": []}).test_client())
    rid = submit(client)
    from tests.sandbox.mosip_support import wait_until

    wait_until(lambda: external(client, rid) == "UIN_GENERATED", timeout=5)


@pytest.mark.parametrize("rule,fields,expected", [
    ({"reject_rids": "RID"}, None, "REJECTED"),
    ({"fail_rids": "RID"}, None, "REREGISTER"),
    ({"reject_rate": 1.0}, None, "REJECTED"),
    ({"fail_rate": 1.0}, None, "REREGISTER"),
    ({"reject_if_missing": ["email"]}, None, "REJECTED"),
    ({}, birth_fields(fullName=ml("REJECT Me")), "REJECTED"),
], ids=["reject-rid", "fail-rid", "reject-rate", "fail-rate", "missing-field", "name-marker"])
def test_configured_conditions_reject_or_fail(client, rule, fields, expected):
    rid = new_rid(client)
    rule = {k: ([rid] if v == "RID" else v) for k, v in rule.items()}
    client.post("/_sandbox/processing", json=rule)
    assert client.put(CREATE, json=packet_body(rid, fields)).json["response"]
    client.post(WORKFLOW, json=workflow_body(rid))
    client.post("/_sandbox/process")
    assert external(client, rid) == expected
    assert client.post(SEARCH, json=status_body(rid)).json["response"][0]["statusCode"] == "PROCESSED"


def test_a_workflow_without_a_packet_fails(client):
    rid = new_rid(client)
    client.post(WORKFLOW, json=workflow_body(rid))
    client.post("/_sandbox/process")
    assert external(client, rid) == "REREGISTER"


def test_a_death_packet_deactivates_the_uin(client):
    death = {"IDSchemaVersion": "0.1", "fullName": ml("Late Person"), "UIN": "2784528096"}
    rid = submit(client, death, process="CRVS_DEATH")
    client.post("/_sandbox/process")
    assert external(client, rid) == "UIN_GENERATED"
    assert client.get("/_sandbox/state").json["identities"]["2784528096"]["status"] == "DEACTIVATED"


def test_a_death_with_an_unknown_uin_is_rejected(client):
    rid = submit(client, {"IDSchemaVersion": "0.1", "UIN": "9999999999"}, process="CRVS_DEATH")
    client.post("/_sandbox/process")
    assert external(client, rid) == "REJECTED"


def test_transactions_record_each_step(client):
    rid = submit(client)
    client.post("/_sandbox/process")
    rows = client.get(f"/registrationprocessor/v1/registrationtransaction/search/{rid}").json["response"]
    assert [r["transactionTypeCode"] for r in rows] == ["WORKFLOW_RESUME", "UIN_GENERATOR"]
    assert rows[-1]["statusCode"] == "PROCESSED"


def test_an_update_packet_updates_the_identity_of_its_uin(corrections_client):
    client = corrections_client
    rid = submit(client, {"IDSchemaVersion": "0.1", "UIN": "1234512345", "fullName": ml("New Name")},
                 process="CRVS_UPDATE")
    client.post("/_sandbox/process")
    assert external(client, rid) == "UIN_GENERATED"
    workflow = [w for w in client.get("/_sandbox/state").json["workflows"] if w["rid"] == rid][0]
    assert workflow["outcome"]["UIN"] == "1234512345"


def test_an_update_without_a_known_uin_is_rejected(corrections_client):
    client = corrections_client
    rid = submit(client, {"IDSchemaVersion": "0.1", "UIN": "9999999999"}, process="CRVS_UPDATE")
    client.post("/_sandbox/process")
    assert external(client, rid) == "REJECTED"
