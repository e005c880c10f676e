"""Contract: every answer of `POST /api/dci/enrollment` and `POST /api/dci/txn/status` validates against the SPDCI
OpenAPI documents kept in tests/fixtures/dci (IBR `ibr_api_v1.0.0.yaml`, the `Error` codes of both it and
`registry_core_api_v1.0.0.yaml`), with jsonschema over the documents' own schemas.

Where the IBR document is loose or inconsistent the test says which reading it takes:
- `/registry/sync/enrollment/updates` gives its `default` response as `$ref: '#/components/schemas/
  EnrollmentUpdatesResponse'`: a schema where a Response Object belongs, and the message only, while the request
  is a {signature, header, message} envelope. The answer is checked as that envelope: header
  `MsgCallbackHeader_V1.0.0`, message `EnrollmentUpdatesResponse` (the shape the request's own envelope has).
  Two other SPDCI readings differ again: the official IBR sample answers it with an ACK, and the IBR mock-up
  compliance suite (spdci/IBR-Mockup-Compliance `enrollmentUpdatesResponseSchema`) expects `{message: {ack_status,
  timestamp, correlation_id}}` only; the portal follows the OpenAPI document.
- HTTP errors: the document lists `HttpErrorResponse` for 401, 403 and 500 only; the portal uses the same body
  for 400, 413 and 415 (and 503), and every code it sends is one of the document's `Error.code` values.
- `/registry/sync/txn/status` answers need only `header`: a rejected status query carries no message (a
  `TxnStatusResponse` would need a `txnstatus_response` the portal does not have for a refused query).
- The token answer: `authz_core_api_v1.0.0.yaml` types `expires_in` as a string ("36000") while saying the endpoint
  complies with RFC 6749, whose §5.1 makes it a number; the portal keeps RFC 6749's number (OAuth clients do
  arithmetic with it) and the test says so.
"""

import pytest
from sqlalchemy.exc import OperationalError

from portal.auth import apiclients
from tests.dci_spec import AUTHZ, IBR, REGISTRY_CORE, component, problems, ref, response_schema
from tests.integration.enrollment_support import api_client, bearer, ibr_envelope, person, sample

TXN_STATUS = "/registry/sync/txn/status"


def enrollment_answer_schema():
    """The envelope `/registry/sync/enrollment/updates` answers: its request envelope's shape, with the
    document's `EnrollmentUpdatesResponse` as the message."""
    return {"type": "object", "required": ["header", "message"], "properties": {
        "signature": component(IBR, "MsgSignature"),
        "header": component(IBR, "MsgCallbackHeader_V1.0.0"),
        "message": component(IBR, "EnrollmentUpdatesResponse"),
    }}


def http_error_schema():
    """HttpErrorResponse (the document's 401/403/500 body) whose every code is one of the `Error` codes."""
    return {"allOf": [
        ref(IBR, "components", "responses", "HttpErrorResponse", "content", "application/json", "schema"),
        {"type": "object", "required": ["errors"], "properties": {"errors": {
            "type": "array", "minItems": 1, "items": {"allOf": [component(IBR, "Error"),
                                                                component(REGISTRY_CORE, "Error"),
                                                                {"required": ["code", "message"]}]}}}},
    ]}


def status_query(**request):
    return {"header": {"version": "1.0.0", "message_id": "st-1", "message_ts": "2025-07-01T10:05:00Z",
                       "action": "txn-status", "sender_id": "openspp", "total_count": 1},
            "message": {"transaction_id": "txn-2", "txnstatus_request": {
                "reference_id": "q-1", "txn_type": "receipt", "attribute_type": "reference_id_list",
                "attribute_value": ["UIN:847951632", "UIN:000"], **request}}}


@pytest.fixture
def api(make_app):
    app = make_app({"PORTAL_DCI_MAX_RECORDS": 3, "PORTAL_DCI_MAX_BODY_BYTES": 8000})
    http = app.test_client()
    return app, http, bearer(http, *api_client(app, "openspp"))


def ibr_sample():
    message = sample("dci_spdci_standards_ibr_processflow1req.json")
    message["header"]["sender_id"] = "openspp"
    return message


def without_version(body):
    body["header"]["version"] = "2.0.0"
    return body


ACCEPTED = [
    (lambda: ibr_envelope([person()]), 200),
    (ibr_sample, 200),
    (lambda: ibr_envelope([person(), {"person": {"name": {"given_name": "No"}}}]), 200),
    (lambda: ibr_envelope([{"reference_id": "", **person()}]), 400),
    (lambda: without_version(ibr_envelope([person()])), 400),
    (lambda: ibr_envelope([person()], action="search"), 400),
    (lambda: ibr_envelope([person()] * 4), 400),
    (lambda: ibr_envelope([person()], total_count=2), 400),
    (lambda: without_version(ibr_envelope([person()], transaction_id="t" * 100)), 400),
]
ACCEPTED_IDS = ["spec-envelope", "official-ibr-sample", "one-bad-beneficiary", "every-beneficiary-rejected",
                "bad-version", "unsupported-action", "too-many", "wrong-total-count", "bad-version-long-transaction"]


@pytest.mark.parametrize("make_body, status", ACCEPTED, ids=ACCEPTED_IDS)
def test_enrollment_answers_validate_against_the_ibr_document(api, make_body, status):
    _app, http, token = api
    response = http.post("/api/dci/enrollment", json=make_body(), headers=token)
    assert response.status_code == status, response.json
    assert problems(enrollment_answer_schema(), response.json) == []


def test_a_replayed_and_a_reused_message_id_answer_validate_too(api):
    _app, http, token = api
    http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    replay = http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    reused = http.post("/api/dci/enrollment", json=ibr_envelope([person(uin="5")]), headers=token)
    assert (replay.status_code, reused.status_code) == (200, 409)
    assert problems(enrollment_answer_schema(), replay.json) == []
    assert problems(enrollment_answer_schema(), reused.json) == []


@pytest.mark.parametrize("kwargs, status", [
    ({}, 401),
    ({"headers": {"Authorization": "Bearer nope"}}, 401),
    ({"data": b"{", "content_type": "application/json"}, 400),
    ({"data": b"{}", "content_type": "text/plain"}, 415),
    ({"data": b"[" + b" " * 9000 + b"]", "content_type": "application/json"}, 413),
    ({"json": {"header": {"message_id": "m"}, "message": {}}}, 400),
    ({"json": {**ibr_envelope([person()]), "header": {**ibr_envelope([])["header"], "sender_id": "someone"}}}, 403),
    ({"json": {**ibr_envelope([person()]), "header": {**ibr_envelope([])["header"], "is_msg_encrypted": True}}}, 400),
    ({"json": {"name": "x"}}, 400),
    ({"json": ibr_envelope([person()], transaction_id="t" * 100)}, 400),
], ids=["no-token", "unknown-token", "not-json", "not-json-type", "too-large", "no-sender", "other-sender",
        "encrypted", "bad-plain-individual", "transaction-id-over-99"])
def test_http_errors_are_the_documents_http_error_response(api, kwargs, status):
    _app, http, token = api
    headers = kwargs.pop("headers", token if status != 401 or "headers" in kwargs else {})
    response = http.post("/api/dci/enrollment", headers=headers, **kwargs)
    assert response.status_code == status, response.json
    assert problems(http_error_schema(), response.json) == []


def test_the_database_outage_answer_is_the_documents_http_error_response(api, monkeypatch):
    def unavailable(_token):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    _app, http, token = api
    monkeypatch.setattr(apiclients, "client_for_token", unavailable)
    response = http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    assert response.status_code == 503
    assert problems(http_error_schema(), response.json) == []


@pytest.mark.parametrize("change, status", [
    ({}, 200),
    ({"attribute_type": "transaction_id", "attribute_value": "txn-1"}, 200),
    ({"attribute_type": "correlation_id", "attribute_value": "nothing"}, 200),
    ({"txn_type": "search"}, 400),
], ids=["by-reference", "by-transaction", "by-correlation", "refused-txn-type"])
def test_txn_status_answers_validate_against_the_ibr_document(api, change, status):
    _app, http, token = api
    http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    response = http.post("/api/dci/txn/status", json=status_query(**change), headers=token)
    assert response.status_code == status, response.json
    assert problems(response_schema(IBR, TXN_STATUS), response.json) == []


@pytest.mark.parametrize("body", [
    status_query(txn_type="dance"),
    {**status_query(), "message": {**status_query()["message"], "transaction_id": "t" * 100}},
    status_query(attribute_type="transaction_id", attribute_value="t" * 100),
], ids=["unknown-txn-type", "transaction-id-over-99", "asked-transaction-id-over-99"])
def test_txn_status_http_errors_are_the_documents_http_error_response(api, body):
    _app, http, token = api
    response = http.post("/api/dci/txn/status", json=body, headers=token)
    assert response.status_code == 400, response.json
    assert problems(http_error_schema(), response.json) == []


def test_the_validator_does_catch_a_broken_answer():
    broken = {"header": {"message_id": 1, "action": "on-notify", "status": "done"},
              "message": {"transaction_id": "t", "enrolled_response": [{"reference_id": "r", "status": "ok"}]}}
    found = problems(enrollment_answer_schema(), broken)
    assert any(line.startswith("header: 'message_ts' is a required property") for line in found)
    assert any(line.startswith("header/status:") for line in found)
    assert any(line.startswith("message: 'correlation_id' is a required property") for line in found)
    assert any(line.startswith("message/enrolled_response/0/status:") for line in found)
    assert problems(ref(IBR, "components", "schemas", "MsgHeader_V1.0.0", "properties", "message_ts"),
                    "2025-07-01T10:00:00") != []  # no timezone


def test_the_token_answer_is_authz_cores_except_that_expires_in_is_rfc_6749s_number(api):
    _app, http, _token = api
    client_id, secret = api_client(_app, "other")
    answer = http.post("/api/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                 "client_secret": secret}).json
    assert isinstance(answer["expires_in"], int)
    as_authz_core_types_it = {**answer, "expires_in": str(answer["expires_in"])}
    assert problems(component(AUTHZ, "OAuth2ClientTokenResponse"), as_authz_core_types_it) == []
