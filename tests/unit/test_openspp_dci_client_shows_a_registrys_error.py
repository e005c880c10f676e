"""A DCI registry's error answer reaches staff with the registry's own code and message, whatever its shape and
HTTP status: the SPDCI ERR acknowledgement (OpenSPP 2), HttpErrorResponse, openSPP 17's and openIMIS's own shapes."""

import json

import httpx
import pytest

from portal.clients.errors import PermanentPeerError, TransientPeerError
from tests.fakes.openspp import dci_client


def err_ack(code, message):
    """The SPDCI acknowledgement OpenSPP 2 answers an error with (spp_dci_server DCIHTTPException)."""
    return {"message": {"ack_status": "ERR", "timestamp": "2025-07-01T10:00:00+00:00",
                        "correlation_id": "6a1c3f0e-0000-4000-8000-000000000000",
                        "error": {"code": code, "message": message}}}


def client_answering(status, body):
    """openSPP grants a token, then answers every search with `status` and `body`."""
    def handler(request):
        if request.url.path == "/oauth2/client/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer"})
        json.loads(request.content)
        return httpx.Response(status, json=body)

    return dci_client(handler, retry_delays=(0,))


@pytest.mark.parametrize("status, body, error_class, said", [
    (200, err_ack("err.request.bad", "Missing required fields: header"), PermanentPeerError,
     "openSPP answered the search with error err.request.bad: Missing required fields: header"),
    (401, err_ack("err.signature.missing", "Missing signature in envelope"), PermanentPeerError,
     "openSPP answered the search with error err.signature.missing (HTTP 401): Missing signature in envelope"),
    (400, err_ack("err.400", "Invalid search request message: transaction_id required"), PermanentPeerError,
     "openSPP answered the search with error err.400 (HTTP 400): Invalid search request message: "
     "transaction_id required"),
    (500, err_ack("err.500", "Internal server error processing search request"), TransientPeerError,
     "openSPP answered the search with error err.500 (HTTP 500): Internal server error processing search request"),
    (200, {"message": {"ack_status": "NACK", "timestamp": "2025-07-01T10:00:00Z", "correlation_id": "c"}},
     PermanentPeerError, "openSPP answered the search with an error: ack_status NACK"),
    (403, {"errors": [{"code": "err.request.forbidden", "message": "sender not onboarded"}]}, PermanentPeerError,
     "openSPP answered the search with error err.request.forbidden (HTTP 403): sender not onboarded"),
    (400, {"error": {"code": 400, "message": "header should have these parameters: message_id"}},
     PermanentPeerError, "openSPP refused the search (HTTP 400): header should have these parameters: message_id"),
    (400, {"header": {"status": "error", "message": "Invalid request format"}, "errors": {"message": ["required"]}},
     PermanentPeerError, "openSPP refused the search (HTTP 400): Invalid request format"),
    (422, {"detail": "Unprocessable"}, PermanentPeerError, "openSPP refused the search (HTTP 422): Unprocessable"),
    (404, {}, PermanentPeerError, "openSPP refused the search (HTTP 404)"),
], ids=["err-ack-200", "openspp2-err-ack-401", "openspp2-err-ack-400", "openspp2-err-ack-500", "nack",
        "http-error-response", "openspp17-error", "openimis-error-header", "fastapi-detail", "no-detail"])
def test_the_registrys_error_is_shown_with_its_code_and_message(status, body, error_class, said):
    with pytest.raises(error_class) as raised:
        client_answering(status, body).search()
    assert str(raised.value) == said
    assert raised.value.status == (None if status == 200 else status)


def test_the_error_code_is_kept_on_the_exception():
    with pytest.raises(PermanentPeerError) as raised:
        client_answering(401, err_ack("err.signature.missing", "Missing signature in envelope")).search()
    assert raised.value.code == "err.signature.missing" and raised.value.permanent
