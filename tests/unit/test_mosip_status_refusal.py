"""A refused status search keeps the specific error code, whatever the position of the general RPR-RGS-015.

mosip/registration `RegistrationExternalStatusController.search` wraps the validator's exception in
`RegStatusAppException(RPR_RGS_DATA_VALIDATION_FAILED, e)`; kernel `BaseCheckedException.getCodes()` lists the
codes newest-cause first, so `RegistrationExternalStatusExceptionHandler` answers HTTP 200 with the specific code
first and RPR-RGS-015 second.
"""

import pytest

from portal.clients.errors import PermanentPeerError
from portal.clients.mosip import parse_status_search

GENERAL = {"errorCode": "RPR-RGS-015", "errorMessage": "Invalid Request Value - Input Data is Incorrect"}
SPECIFIC = {
    "wrong-id": {"errorCode": "RPR-RGS-024", "errorMessage": "Invalid Request Parameter - id"},
    "wrong-version": {"errorCode": "RPR-RGS-022", "errorMessage": "Invalid Request Parameter - version"},
    "stale-requesttime": {"errorCode": "RPR-RGS-023", "errorMessage": "Invalid Request Parameter - requesttime"},
}


def refusal(*errors):
    return {"id": "mosip.registration.external.status", "version": "1.0", "responsetime": "2025-05-22T12:30:00.000Z",
            "response": None, "errors": list(errors)}


@pytest.mark.parametrize("specific", SPECIFIC.values(), ids=SPECIFIC.keys())
@pytest.mark.parametrize("order", ["as-mosip-sends-it", "general-first"])
def test_the_specific_code_is_the_error_code(specific, order):
    errors = (specific, GENERAL) if order == "as-mosip-sends-it" else (GENERAL, specific)
    with pytest.raises(PermanentPeerError) as info:
        parse_status_search(refusal(*errors))
    assert info.value.code == specific["errorCode"]
    assert specific["errorMessage"] in str(info.value) and "RPR-RGS-015" in str(info.value)
