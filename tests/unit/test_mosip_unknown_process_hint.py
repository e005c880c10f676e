"""The workflow manager's bare RPR-WIS-000 for a process MOSIP cannot iterate comes back with the MOSIP properties
and the portal setting to look at.

mosip/registration `WorkflowInstanceService.createWorkflowInstance`: `Utilities.getIterationForSyncRecord` throws
for a process that is neither in `registration.processor.main-processes` nor mapped to one in
`registration.processor.additional-process.category-mapping`; the service turns it into RPR-WIS-000 "Unknown
Exception" and `WorkflowInstanceApi` answers HTTP 200 with it in `errors`.
"""

import httpx
import pytest

from portal.clients.errors import PermanentPeerError
from portal.clients.mosip import from_config

RID = "10001100040000120250522121835"
UNKNOWN = {"id": "mosip.registration.processor.workflow.instance", "version": "v1", "responsetime": "…",
           "response": None, "errors": [{"errorCode": "RPR-WIS-000", "message": "Unknown Exception"}]}


def answer(request):
    if request.url.path.endswith("/clientidsecretkey"):
        return httpx.Response(200, json={"response": {"status": "Success"}}, headers={"Set-Cookie": "Authorization=t"})
    return httpx.Response(200, json=UNKNOWN)


def test_the_refusal_names_the_mosip_properties_and_the_setting():
    client = from_config({"PORTAL_MOSIP_URL": "http://mosip.test", "PORTAL_MOSIP_PROCESS_CORRECTION": "CRVS_UPDATE"},
                         transport=httpx.MockTransport(answer))
    with pytest.raises(PermanentPeerError) as info:
        client.create_workflow_instance(RID, "CRVS_UPDATE", "CRVS1")
    text = str(info.value)
    assert info.value.code == "RPR-WIS-000" and "Unknown Exception" in text
    assert "registration.processor.main-processes" in text
    assert "registration.processor.additional-process.category-mapping" in text
    assert "PORTAL_MOSIP_PROCESS_CORRECTION" in text
