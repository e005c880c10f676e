"""The sandbox's status searches refuse a request exactly where MOSIP's validators do, with MOSIP's answer.

mosip/registration v1.3.0: `RegistrationStatusController` + `RegistrationStatusRequestValidator` (`/search`),
`RegistrationExternalStatusController` + `RegistrationExternalStatusRequestValidator` (`/externalstatus/search`).
A refusal is HTTP 200, `response: null`, the specific code then RPR-RGS-015 (kernel `BaseCheckedException.getCodes`
lists the newest cause first); an unparseable requesttime escapes the validator (`DateTimeParseException` is not
the `IllegalArgumentException` it catches) and the controller answers RPR-RGS-018 alone. Ids and versions are the
mosip-config v1.3.0 values (tests/fixtures/mosip).
"""

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import login, status_body, stock_properties

CONFIG = stock_properties("registration-processor")
PREFIX = "mosip.registration.processor.registration"
SEARCH = "/registrationprocessor/v1/registrationstatus/search"
EXTERNAL = "/registrationprocessor/v1/registrationstatus/externalstatus/search"
ENDPOINTS = {
    "search": (SEARCH, CONFIG[f"{PREFIX}.status.id"], CONFIG[f"{PREFIX}.status.version"],
               CONFIG["mosip.registration.processor.application.version"]),
    "externalstatus-search": (EXTERNAL, CONFIG[f"{PREFIX}.external.status.id"],
                              CONFIG[f"{PREFIX}.external.status.version"], CONFIG[f"{PREFIX}.external.status.version"]),
}
RID = "10001100040000120240101000000"
GENERAL = {"errorCode": "RPR-RGS-015", "errorMessage": "Invalid Request Value - Input Data is Incorrect"}
BAD = {
    "missing-id": (dict(id=None), "RPR-RGS-021", "Missing Request Parameter - id"),
    "missing-version": (dict(version=None), "RPR-RGS-019", "Missing Request Value - version"),
    "wrong-version": (dict(version="v1"), "RPR-RGS-022", "Invalid Request Parameter - version"),
    "missing-requesttime": (dict(requesttime=None), "RPR-RGS-020", "Missing Request Parameter - requesttime"),
    "stale-requesttime": (dict(requesttime="2020-01-01T00:00:00.000Z"), "RPR-RGS-023",
                          "Invalid Request Parameter - requesttime"),
}


@pytest.fixture
def client():
    return login(create_app({"AUTO_PROCESS": False, "CREDENTIAL_PARTNERS": []}).test_client())


def post(client, path, **overrides):
    body = {k: v for k, v in status_body(RID, **overrides).items() if v is not None}
    response = client.post(path, json=body)
    assert response.status_code == 200
    return response.json


@pytest.mark.parametrize("path,own_id,version,_", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_each_search_accepts_its_own_id_and_answers_with_it(client, path, own_id, version, _):
    answer = post(client, path, id=own_id, version=version)
    assert (answer["id"], answer["version"]) == (own_id, version)
    assert answer["errors"] == [{"errorCode": "RPR-RGS-031", "errorMessage": "RID Not Found", "registrationId": RID}]


@pytest.mark.parametrize("path,sent_id", [(EXTERNAL, CONFIG[f"{PREFIX}.status.id"]),
                                          (SEARCH, CONFIG[f"{PREFIX}.external.status.id"])],
                         ids=["plain-id-to-external-search", "external-id-to-plain-search"])
def test_the_other_search_id_is_refused_with_024_then_015(client, path, sent_id):
    answer = post(client, path, id=sent_id)
    assert answer["response"] is None
    assert answer["errors"] == [{"errorCode": "RPR-RGS-024", "errorMessage": "Invalid Request Parameter - id"}, GENERAL]


@pytest.mark.parametrize("overrides,code,text", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("path,own_id,version,error_version", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_a_bad_request_lists_the_specific_code_then_015(client, path, own_id, version, error_version, overrides,
                                                         code, text):
    answer = post(client, path, **{"id": own_id, "version": version, **overrides})
    assert (answer["id"], answer["version"], answer["response"]) == (own_id, error_version, None)
    assert answer["errors"] == [{"errorCode": code, "errorMessage": text}, GENERAL]


@pytest.mark.parametrize("requesttime", ["2025-04-08T12:34:56Z", "2025-04-08T12:34:56.000+00:00", "yesterday"],
                         ids=["no-millis", "offset", "words"])
@pytest.mark.parametrize("path,own_id,version,_", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_a_requesttime_off_the_pattern_is_an_unknown_exception(client, path, own_id, version, _, requesttime):
    answer = post(client, path, id=own_id, version=version, requesttime=requesttime)
    assert answer["errors"] == [{"errorCode": "RPR-RGS-018", "errorMessage": "Unknown Exception Found"}]


def test_the_plain_search_answers_the_first_100_ids_of_a_longer_list(client):
    rids = [f"1000110004{i:05d}20240101000000" for i in range(101)]
    answer = client.post(SEARCH, json=status_body(*rids)).json
    assert [e["registrationId"] for e in answer["errors"]] == rids[:100]
