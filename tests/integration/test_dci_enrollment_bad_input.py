"""Every bad input of the DCI enrollment API gets its precise DCI error and a log line, never a 500."""

import copy
import logging

import pytest

from tests.integration.enrollment_support import api_client, bearer, ibr_envelope, person

GOOD = ibr_envelope([person()])


def changed(path, value):
    """GOOD with the value at `path` ("header.version") replaced, or removed when value is ...Ellipsis."""
    body = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    key = int(last) if last.isdigit() else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return body


@pytest.fixture
def api(make_app, caplog):
    app = make_app({"PORTAL_DCI_MAX_RECORDS": 3, "PORTAL_DCI_MAX_BODY_BYTES": 8000})
    http = app.test_client()
    token = bearer(http, *api_client(app, "openspp"))
    caplog.set_level(logging.INFO, logger="portal.enrollment.api")
    return app, http, token, caplog


def refusal_logged(caplog, code):
    return any(getattr(r, "code", None) == code for r in caplog.records
               if r.name == "portal.enrollment.api" and r.levelno >= logging.WARNING)


# --- transport and authentication: HttpErrorResponse ---------------------------------------------

@pytest.mark.parametrize("headers, status, code, message", [
    ({}, 401, "err.request.unauthorized", "a bearer token from /api/oauth/token is required"),
    ({"Authorization": "Basic b3BlbnNwcDpzZWNyZXQ="}, 401, "err.request.unauthorized",
     "a bearer token from /api/oauth/token is required"),
    ({"Authorization": "Bearer not-a-token"}, 401, "err.request.unauthorized", "the bearer token is not valid"),
], ids=["no-token", "basic-auth", "unknown-token"])
def test_missing_or_bad_token(api, headers, status, code, message):
    _app, http, _token, caplog = api
    response = http.post("/api/dci/enrollment", json=GOOD, headers=headers)
    assert response.status_code == status
    assert response.json == {"errors": [{"code": code, "message": message}]}
    assert refusal_logged(caplog, code)


def test_disabled_client_is_forbidden(api):
    app, http, token, caplog = api
    app.test_cli_runner().invoke(args=["api-clients", "disable", "openspp"])
    response = http.post("/api/dci/enrollment", json=GOOD, headers=token)
    assert response.status_code == 403
    assert response.json["errors"][0]["code"] == "err.request.forbidden"


@pytest.mark.parametrize("data, content_type, status, message", [
    (b"x" * 9000, "application/json", 413, "the body is larger than 8000 bytes"),
    (b"{}", "text/plain", 415, "the body must be application/json"),
    (b"{not json", "application/json", 400, "the body is not valid JSON"),
    (b"[1, 2]", "application/json", 400, "the body must be a JSON object"),
    (b"{}", "application/json", 400, "ids: is required: an array of {id_type, value}"),
], ids=["oversized", "not-json-type", "malformed-json", "array", "empty-object"])
def test_unreadable_bodies(api, data, content_type, status, message):
    _app, http, token, caplog = api
    response = http.post("/api/dci/enrollment", data=data, content_type=content_type, headers=token)
    assert response.status_code == status
    assert response.json["errors"][0]["code"] == "err.request.bad"
    assert (message in [e["message"] for e in response.json["errors"]]
            or response.json["errors"][0]["message"] == message)
    assert refusal_logged(caplog, "err.request.bad")


@pytest.mark.parametrize("path, value, status, code, message", [
    ("header", "text", 400, "err.request.bad", "header is required and must be an object"),
    ("header.message_id", ..., 400, "err.request.bad",
     "header.message_id is required (a string of at most 200 characters)"),
    ("header.message_id", 42, 400, "err.request.bad",
     "header.message_id is required (a string of at most 200 characters)"),
    ("header.sender_id", ..., 400, "err.sender_id.invalid", "header.sender_id is required"),
    ("header.sender_id", "someone-else", 403, "err.sender_id.invalid",
     "header.sender_id is not the sender registered for this client"),
    ("header.is_msg_encrypted", True, 400, "err.encryption.invalid", "encrypted messages are not supported"),
    ("message", ..., 400, "err.request.bad", "message is required and must be an object"),
    ("message.transaction_id", ..., 400, "err.request.bad",
     "message.transaction_id is required (a string of at most 99 characters)"),
    ("message.enrolled_updates", ..., 400, "err.request.bad", "message.enrolled_updates.beneficiaries is required"),
    ("message.enrolled_updates.beneficiaries", [], 400, "err.request.bad",
     "message.enrolled_updates.beneficiaries must be a non-empty array"),
    ("message.enrolled_updates.beneficiaries", "x", 400, "err.request.bad",
     "message.enrolled_updates.beneficiaries must be a non-empty array"),
], ids=["header-not-object", "no-message-id", "message-id-number", "no-sender", "other-sender", "encrypted",
        "no-message", "no-transaction-id", "no-beneficiaries", "empty-beneficiaries", "beneficiaries-string"])
def test_malformed_envelopes(api, path, value, status, code, message):
    _app, http, token, caplog = api
    response = http.post("/api/dci/enrollment", json=changed(path, value), headers=token)
    assert response.status_code == status
    assert response.json == {"errors": [{"code": code, "message": message}]}
    assert refusal_logged(caplog, code)


# --- header: callback envelope with header.status rjct ---------------------------------------------

@pytest.mark.parametrize("path, value, code", [
    ("header.version", "2.0.0", "rjct.version.invalid"),
    ("header.message_ts", "yesterday", "rjct.message_ts.invalid"),
    ("header.message_ts", "2025-07-01T10:00:00", "rjct.message_ts.invalid"),
    ("header.message_ts", "2025-13-01T10:00:00Z", "rjct.message_ts.invalid"),
    ("header.message_ts", ..., "rjct.message_ts.invalid"),
    ("header.action", ..., "rjct.action.invalid"),
    ("header.action", "dance", "rjct.action.invalid"),
    ("header.action", "search", "rjct.action.not_supported"),
    ("header.total_count", "abc", "rjct.total_count.invalid"),
    ("header.total_count", -1, "rjct.total_count.invalid"),
    ("header.total_count", 2, "rjct.total_count.invalid"),
    ("header.total_count", ..., "rjct.total_count.invalid"),
    ("header.total_count", 4, "rjct.total_count.limit_exceeded"),
], ids=["version", "ts-words", "ts-no-timezone", "ts-bad-month", "ts-missing", "action-missing", "action-unknown",
        "action-other-api", "count-words", "count-negative", "count-mismatch", "count-missing", "count-over-limit"])
def test_header_rejections(api, path, value, code):
    _app, http, token, caplog = api
    response = http.post("/api/dci/enrollment", json=changed(path, value), headers=token)
    assert response.status_code == 400
    header = response.json["header"]
    assert header["status"] == "rjct" and header["status_reason_code"] == code
    assert header["status_reason_message"]
    assert response.json["message"]["enrolled_response"] == []
    assert refusal_logged(caplog, code)


def test_receipt_type_other_than_enrollment(api):
    _app, http, token, _caplog = api
    body = copy.deepcopy(GOOD)
    body["message"] = {"transaction_id": "t", "receipt_information": {"receipt_type": "update",
                                                                      "beneficiaries": [person()]}}
    response = http.post("/api/dci/enrollment", json=body, headers=token)
    assert response.json["header"]["status_reason_code"] == "rjct.action.not_supported"


def test_too_many_beneficiaries(api):
    _app, http, token, _caplog = api
    body = ibr_envelope([person(uin=str(n)) for n in range(4)])
    response = http.post("/api/dci/enrollment", json=body, headers=token)
    assert response.json["header"]["status_reason_code"] == "rjct.total_count.limit_exceeded"


def test_a_reused_message_id_with_another_body(api):
    _app, http, token, caplog = api
    assert http.post("/api/dci/enrollment", json=GOOD, headers=token).status_code == 200
    other = ibr_envelope([person(uin="999")])
    response = http.post("/api/dci/enrollment", json=other, headers=token)
    assert response.status_code == 409
    assert response.json["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    assert refusal_logged(caplog, "rjct.message_id.duplicate")


# --- beneficiaries: per item, with the field named ---------------------------------------------------

P = "message.enrolled_updates.beneficiaries[0].person"


@pytest.mark.parametrize("beneficiary, reason_code, message", [
    ({"person": {"identifier": [{"identifier_type": "UIN", "identifier_value": "1"}], "sex": "male"}},
     None, f"{P}.name is required and must be an object"),
    (person(given=None), None, f"{P}.name.given_name is required"),
    (person(given=42), None, f"{P}.name.given_name must be a string"),
    (person(surname=["x"]), None, f"{P}.name.surname must be a string"),
    (person(birth_date="02.05.2004"), None, f"{P}.birth_date '02.05.2004' is not an ISO 8601 date (YYYY-MM-DD)"),
    (person(birth_date="1990-02-30"), None, f"{P}.birth_date '1990-02-30' is not an ISO 8601 date (YYYY-MM-DD)"),
    (person(birth_date="2999-01-01"), None, f"{P}.birth_date is in the future"),
    (person(birth_date=19900101), None, f"{P}.birth_date must be a string"),
    (person(sex="robot"), None, f"{P}.sex 'robot' is not one of male, female, other, unknown"),
    (person(phone_number=12345), None, f"{P}.phone_number must be a string or an array of strings"),
    ({"person": {"identifier": "UIN-1", "name": {"given_name": "A", "surname": "B"}}}, None,
     f"{P}.identifier must be an array of identifiers"),
    ({"person": {"identifier": [{"identifier_type": "UIN"}], "name": {"given_name": "A", "surname": "B"}}}, None,
     f"{P}.identifier[0].identifier_value is required (a string)"),
    ({"person": {"name": {"given_name": "A", "surname": "B"}}}, "rjct.reference_id.invalid",
     f"{P}.identifier is required (it identifies the person in openSPP)"),
    ({**person(), "reference_id": ""}, "rjct.reference_id.invalid",
     "message.enrolled_updates.beneficiaries[0].reference_id must be a non-empty string"),
    ("text", None, "message.enrolled_updates.beneficiaries[0] must be an object"),
], ids=["no-name", "no-given-name", "given-name-number", "surname-list", "date-dotted", "date-impossible",
        "date-future", "date-number", "sex-unknown", "phone-number", "identifier-string", "identifier-no-value",
        "no-identifier", "empty-reference", "not-an-object"])
def test_bad_beneficiary_is_rejected_by_name(api, beneficiary, reason_code, message):
    _app, http, token, caplog = api
    response = http.post("/api/dci/enrollment", json=ibr_envelope([beneficiary]), headers=token)
    assert response.status_code == 400
    assert response.json["header"]["status"] == "rjct"
    assert response.json["header"]["status_reason_code"] == "rjct.errors.too_many"
    [entry] = response.json["message"]["enrolled_response"]
    assert entry["status"] == "rjct" and entry["status_reason_message"] == message
    assert entry.get("status_reason_code") == reason_code


def test_one_bad_beneficiary_does_not_stop_the_others(api):
    _app, http, token, _caplog = api
    body = ibr_envelope([person(), person(uin="2", birth_date="yesterday"), person()])
    response = http.post("/api/dci/enrollment", json=body, headers=token)
    assert response.status_code == 200
    assert response.json["header"]["status"] == "rcvd"
    statuses = [(e["status"], e.get("status_reason_code")) for e in response.json["message"]["enrolled_response"]]
    assert statuses == [("rcvd", None), ("rjct", None), ("rjct", "rjct.reference_id.duplicate")]
    assert response.json["header"]["status_reason_message"] == "2 of 3 beneficiaries rejected"


# --- the plain openSPP individual ------------------------------------------------------------------

PLAIN = {"name": "DOE, JANE", "given_name": "Jane", "family_name": "Doe", "gender": "Female",
         "birthdate": "1990-01-02", "ids": [{"id_type": "National ID", "value": "N-1"}]}


@pytest.mark.parametrize("change, message", [
    ({"given_name": None}, "given_name: is required (a string)"),
    ({"name": 7}, "name: is required (a string)"),
    ({"birthdate": "02/01/1990"}, "birthdate: '02/01/1990' is not a date in YYYY-MM-DD format"),
    ({"birthdate": "1990-01-02T00:00:00"}, "birthdate: '1990-01-02T00:00:00' is not a date in YYYY-MM-DD format"),
    ({"gender": "robot"}, "gender: 'robot' is not a known gender"),
    ({"ids": []}, "ids: at least one registration id is needed to identify the individual"),
    ({"ids": [{"id_type": "National ID"}]}, "ids[0].value: is required (a non-empty string)"),
    ({"ids": "N-1"}, "ids: is required: an array of {id_type, value}"),
    ({"is_group": True}, "is_group: only individuals can be enrolled (is_group must be false)"),
    ({"phone_numbers": [{"number": "1"}]}, "phone_numbers[0].phone_no: is required (a string)"),
], ids=["no-given-name", "name-number", "birthdate-format", "birthdate-datetime", "gender", "no-ids",
        "id-without-value", "ids-string", "group", "phone-without-number"])
def test_plain_individual_errors(api, change, message):
    _app, http, token, caplog = api
    response = http.post("/api/dci/enrollment", json={**PLAIN, **change}, headers=token)
    assert response.status_code == 400
    assert {"code": "err.request.bad", "message": message} in response.json["errors"]
    assert refusal_logged(caplog, "err.request.bad")


# --- transaction status ------------------------------------------------------------------------------

def status_query(**request):
    return {"header": {"message_id": "s-1", "message_ts": "2025-07-01T10:00:00Z", "action": "txn-status",
                       "sender_id": "openspp", "total_count": 1},
            "message": {"transaction_id": "t", "txnstatus_request": {
                "reference_id": "q", "txn_type": "receipt", "attribute_type": "reference_id_list",
                "attribute_value": ["UIN:1"], **request}}}


@pytest.mark.parametrize("body, status, code", [
    (status_query(txn_type="search"), 400, "rjct.action.not_supported"),
    (status_query(txn_type="dance"), 400, "err.request.bad"),
    (status_query(attribute_type="name"), 400, "err.request.bad"),
    (status_query(attribute_value=[]), 400, "err.request.bad"),
    (status_query(attribute_type="transaction_id", attribute_value=["x"]), 400, "err.request.bad"),
    ({**status_query(), "header": {**status_query()["header"], "action": "notify"}}, 400, "rjct.action.not_supported"),
], ids=["search-txn", "unknown-txn-type", "unknown-attribute", "empty-list", "transaction-as-list", "wrong-action"])
def test_txn_status_bad_inputs(api, body, status, code):
    _app, http, token, _caplog = api
    response = http.post("/api/dci/txn/status", json=body, headers=token)
    assert response.status_code == status
    found = response.json.get("errors", [{}])[0].get("code") or response.json["header"]["status_reason_code"]
    assert found == code


def test_txn_status_needs_a_token(api):
    _app, http, _token, _caplog = api
    assert http.post("/api/dci/txn/status", json=status_query()).status_code == 401
