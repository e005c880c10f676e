"""The sandbox identity repository refuses an update request where MOSIP's validators do.

mosip/id-repository (release-1.3.x) `IdRepoController.updateIdentity`: `BaseIdRepoValidator.validateVersion`
(`mosip.idrepo.application.version.pattern`, `^v\\d+(\\.\\d+)?$` in mosip-config v1.3.0) and
`validateReqTime` (at most `mosip.idrepo.identity.max-request-time-deviation-seconds`, 60, from the server clock);
`validateId` against `mosip.idrepo.identity.id.update`. Refusals are HTTP 200 with the error in `errors`.
"""

import datetime

import pytest

from portal.clients.mosip import IDREPO_UPDATE_ID, IDREPO_UPDATE_VERSION, request_envelope
from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import login, now

PATCH = "/idrepository/v1/identity/"


@pytest.fixture
def client():
    return login(create_app({"AUTO_PROCESS": False}).test_client())


def minutes_ago(minutes):
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def body(**overrides):
    base = {"id": "mosip.id.update", "version": "v1.0", "requesttime": now(),
            "request": {"registrationId": "10001100040000120250101000000", "status": "DEACTIVATED",
                        "identity": {"IDSchemaVersion": 0.0, "UIN": "2784528096"}}}
    return {**base, **overrides}


BAD = {
    "version-without-v": (dict(version="1.0"), "Invalid Input Parameter - version"),
    "missing-version": (dict(version=None), "Missing Input Parameter - version"),
    "requesttime-5-minutes-old": (dict(requesttime=minutes_ago(5)), "Invalid Input Parameter - requesttime - the "
                                  "timestamp value can be at most 60 seconds before and after the current time."),
    "missing-requesttime": (dict(requesttime=None), "Missing Input Parameter - requesttime"),
}


@pytest.mark.parametrize("overrides,text", BAD.values(), ids=BAD.keys())
def test_a_bad_version_or_requesttime_is_refused(client, overrides, text):
    response = client.patch(PATCH, json={k: v for k, v in body(**overrides).items() if v is not None})
    assert response.status_code == 200 and response.json["response"] is None
    code = "IDR-IDC-001" if text.startswith("Missing") else "IDR-IDC-002"
    assert response.json["errors"] == [{"errorCode": code, "message": text}]


def test_the_envelope_the_portal_builds_is_accepted(client):
    sent = request_envelope(body()["request"], id=IDREPO_UPDATE_ID, version=IDREPO_UPDATE_VERSION)
    response = client.patch(PATCH, json=sent)
    assert response.json["errors"] is None and response.json["response"] == {"status": "DEACTIVATED"}
