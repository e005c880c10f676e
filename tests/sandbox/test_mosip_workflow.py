"""Sandbox MOSIP workflow manager: request validation, duplicate instance, Vert.x cookie handling."""

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import CREATE, WORKFLOW, login, new_rid, packet_body, workflow_body


@pytest.fixture
def client():
    return login(create_app({"AUTO_PROCESS": False}).test_client())


def test_a_workflow_instance_is_created_once(client):
    rid = new_rid(client)
    client.put(CREATE, json=packet_body(rid))
    first = client.post(WORKFLOW, json=workflow_body(rid))
    assert first.status_code == 200
    assert first.json["id"] == "mosip.registration.processor.workflow.instance" and first.json["version"] == "v1"
    assert first.json["errors"] is None and len(first.json["response"]["workflowInstanceId"]) == 36
    again = client.post(WORKFLOW, json=workflow_body(rid))
    assert again.status_code == 200 and again.json["response"] is None
    assert again.json["errors"] == [{"errorCode": "RPR-WIS-001", "message": "WorkflowInstance already present"}]


BAD = {
    "wrong-id": (dict(id="mosip.workflow"), "RPR-WIN-001", "Invalid Request Value - id"),
    "missing-version": (dict(version=None), "RPR-WIN-000", "Missing Request Value - version"),
    "wrong-version": (dict(version="1.0"), "RPR-WIN-001", "Invalid Request Value - version"),
    "missing-requesttime": (dict(requesttime=None), "RPR-WIN-000", "Missing Request Value - requesttime"),
    "requesttime-without-millis": (dict(requesttime="2025-04-08T12:34:56Z"), "RPR-WIN-001",
                                   "Invalid Request Value - requesttime"),
}


@pytest.mark.parametrize("overrides,code,message", BAD.values(), ids=BAD.keys())
def test_bad_requests_are_refused_with_http_200(client, overrides, code, message):
    body = workflow_body(new_rid(client), **overrides)
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post(WORKFLOW, json=body)
    assert response.status_code == 200
    assert response.json["errors"] == [{"errorCode": code, "message": message}]


def test_an_iso_local_requesttime_is_accepted(client):
    response = client.post(WORKFLOW, json=workflow_body(new_rid(client), requesttime="2025-04-08T12:34:56"))
    assert response.json["response"]["workflowInstanceId"]


def test_authorization_must_be_the_first_cookie(client):
    token = client.get_cookie("Authorization").value
    rid = new_rid(client)
    bare = client.application.test_client(use_cookies=False)  # only the Cookie header below
    late = bare.post(WORKFLOW, json=workflow_body(rid), headers={"Cookie": f"lang=eng; Authorization={token}"})
    assert late.status_code == 401
    first = bare.post(WORKFLOW, json=workflow_body(rid), headers={"Cookie": f"Authorization={token}; lang=eng"})
    assert first.json["response"]["workflowInstanceId"]
