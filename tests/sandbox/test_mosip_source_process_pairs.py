"""The sandbox MOSIP registers the source/process pairs of a stock MOSIP v1.3.0 and refuses the others the way
MOSIP does; the lines the README tells a deployment to add make a correction (CRVS_UPDATE) go through.

mosip/packet-manager `PacketWriter.getProvider` / `PacketHelper.isSourceAndProcessPresent` (KER-PUT-006, a
case-insensitive *substring* match of source and process against each `provider.packetwriter.*`);
mosip/registration `Utilities.getIterationForSyncRecord` (a process neither main nor mapped: RPR-WIS-000);
a process without a camel route is never routed past its first stage.
"""

import pytest

from portal_sandbox.mosip import create_app
from portal_sandbox.mosip.state import CORRECTIONS_DEPLOYMENT, STOCK_PROPERTIES
from tests.sandbox.mosip_support import (CORRECTIONS_CRVS1, CREATE, WORKFLOW, login, ml, new_rid, packet_body,
                                         readme_properties, stock_properties, workflow_body)

STOCK = {**stock_properties("application"), **stock_properties("registration-processor")}
UPDATE = {"IDSchemaVersion": "0.1", "UIN": "1234512345", "fullName": ml("New Name")}
DEATH = {"IDSchemaVersion": "0.1", "UIN": "2784528096"}


def sandbox(properties=None):
    config = {"AUTO_PROCESS": False, "CREDENTIAL_PARTNERS": []}
    if properties:
        config["MOSIP_PROPERTIES"] = properties
    return login(create_app(config).test_client())


def test_the_sandbox_stock_configuration_is_mosip_config_v1_3_0():
    assert STOCK_PROPERTIES == {key: STOCK[key] for key in STOCK_PROPERTIES}


ACCEPTED = {"CRVS1/CRVS_NEW": ("CRVS1", "CRVS_NEW", None), "CRVS1/CRVS_DEATH": ("CRVS1", "CRVS_DEATH", DEATH),
            "OPENCRVS/OPENCRVS_NEW": ("OPENCRVS", "OPENCRVS_NEW", None),
            # "OPENCRVS_NEW" contains "CRVS_NEW": packet manager's substring match accepts it
            "OPENCRVS/CRVS_NEW": ("OPENCRVS", "CRVS_NEW", None)}
REFUSED = {"OPENCRVS/CRVS_DEATH": ("OPENCRVS", "CRVS_DEATH"), "CRVS1/CRVS_UPDATE": ("CRVS1", "CRVS_UPDATE"),
           "OPENCRVS/CRVS_UPDATE": ("OPENCRVS", "CRVS_UPDATE"), "CRVS/BIRTH": ("CRVS", "BIRTH")}


@pytest.mark.parametrize("source,process,fields", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_stock_mosip_writes_these_packets(source, process, fields):
    client = sandbox()
    rid = new_rid(client)
    assert client.put(CREATE, json=packet_body(rid, fields, process=process, source=source)).json["response"]


@pytest.mark.parametrize("source,process", REFUSED.values(), ids=REFUSED.keys())
def test_a_stock_mosip_has_no_packet_writer_for_these(source, process):
    client = sandbox()
    response = client.put(CREATE, json=packet_body(new_rid(client), DEATH, process=process, source=source))
    assert response.status_code == 200
    assert (response.json["id"], response.json["response"]) == (None, None)
    assert response.json["errors"] == [
        {"errorCode": "KER-PUT-006", "message": "No available provider for given source and process"}]


def test_a_stock_workflow_manager_cannot_start_a_crvs_update():
    client = sandbox()
    answer = client.post(WORKFLOW, json=workflow_body(new_rid(client), process="CRVS_UPDATE", source="CRVS1")).json
    assert answer["response"] is None
    assert answer["errors"] == [{"errorCode": "RPR-WIS-000", "message": "Unknown Exception"}]


def test_the_readme_lines_for_corrections_make_a_crvs_update_go_through():
    client = sandbox(readme_properties(CORRECTIONS_CRVS1))
    rid = new_rid(client)
    assert client.put(CREATE, json=packet_body(rid, UPDATE, process="CRVS_UPDATE", source="CRVS1")).json["response"]
    assert client.post(WORKFLOW, json=workflow_body(rid, process="CRVS_UPDATE", source="CRVS1")).json["response"]
    client.post("/_sandbox/process")
    workflow = [w for w in client.get("/_sandbox/state").json["workflows"] if w["rid"] == rid][0]
    assert workflow["status"] == "PROCESSED" and workflow["outcome"]["UIN"] == "1234512345"


def test_the_readme_lines_for_opencrvs_source_make_an_opencrvs_death_go_through():
    client = sandbox(readme_properties(
        "PORTAL_MOSIP_SOURCE=OPENCRVS (OpenCRVS v1.9's own pair) with CRVS_NEW and CRVS_DEATH"))
    rid = new_rid(client)
    assert client.put(CREATE, json=packet_body(rid, DEATH, process="CRVS_DEATH", source="OPENCRVS")).json["response"]
    assert client.post(WORKFLOW, json=workflow_body(rid, process="CRVS_DEATH", source="OPENCRVS")).json["response"]
    client.post("/_sandbox/process")
    assert client.get("/_sandbox/state").json["identities"]["2784528096"]["status"] == "DEACTIVATED"


def test_a_process_without_a_camel_route_stays_in_processing():
    lines = readme_properties(CORRECTIONS_CRVS1)
    lines["camel.secure.active.flows.file.names"] = STOCK["camel.secure.active.flows.file.names"]  # route file left out
    client = sandbox(lines)
    rid = new_rid(client)
    assert client.put(CREATE, json=packet_body(rid, UPDATE, process="CRVS_UPDATE", source="CRVS1")).json["response"]
    assert client.post(WORKFLOW, json=workflow_body(rid, process="CRVS_UPDATE", source="CRVS1")).json["response"]
    client.post("/_sandbox/process")
    status = client.post("/registrationprocessor/v1/registrationstatus/externalstatus/search",
                         json={"id": "mosip.registration.external.status", "version": "1.0",
                               "requesttime": packet_body(rid)["requesttime"], "request": [{"registrationId": rid}]})
    assert status.json["response"][0]["statusCode"] == "PROCESSING"


def test_the_demo_mosip_runs_with_the_readme_lines_for_corrections():
    readme = readme_properties(CORRECTIONS_CRVS1)
    assert CORRECTIONS_DEPLOYMENT == {key: readme[key] for key in CORRECTIONS_DEPLOYMENT}
