"""Each status search sends the request id and version its own MOSIP validator checks.

mosip/registration `RegistrationStatusController` validates `/search` against
`mosip.registration.processor.registration.status.id`/`.version`, and `RegistrationExternalStatusController`
validates `/externalstatus/search` against `…registration.external.status.id`/`.version`
(`RegistrationExternalStatusRequestValidator.validateId`): the values come from mosip-config v1.3.0
(tests/fixtures/mosip), not from our own reading.
"""

import json

import httpx
import pytest

from tests.fakes.mosip import MosipClient
from tests.sandbox.mosip_support import stock_properties

RID = "10001100040000120250522121835"
CONFIG = stock_properties("registration-processor")
PREFIX = "mosip.registration.processor.registration"
SEARCHES = {
    "search": ("registration_status", "/registrationprocessor/v1/registrationstatus/search",
               CONFIG[f"{PREFIX}.status.id"], CONFIG[f"{PREFIX}.status.version"]),
    "externalstatus-search": ("external_status", "/registrationprocessor/v1/registrationstatus/externalstatus/search",
                              CONFIG[f"{PREFIX}.external.status.id"], CONFIG[f"{PREFIX}.external.status.version"]),
}


def fake_mosip(seen):
    def handle(request):
        if request.url.path.endswith("/clientidsecretkey"):
            return httpx.Response(200, json={"response": {"status": "Success"}},
                                  headers={"Set-Cookie": "Authorization=t0ken; Path=/"})
        seen.append((request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"id": "x", "version": "1.0", "response": [
            {"registrationId": RID, "statusCode": "PROCESSING"}], "errors": []})
    return MosipClient("http://mosip.test", "client", "secret", transport=httpx.MockTransport(handle))


@pytest.mark.parametrize("method,path,expected_id,expected_version", SEARCHES.values(), ids=SEARCHES.keys())
def test_each_status_search_sends_the_id_and_version_of_its_validator(method, path, expected_id, expected_version):
    seen = []
    assert getattr(fake_mosip(seen), method)([RID]).statuses == {RID: "PROCESSING"}
    [(sent_path, body)] = seen
    assert sent_path == path
    assert (body["id"], body["version"]) == (expected_id, expected_version)

