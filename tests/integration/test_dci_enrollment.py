"""`POST /api/dci/enrollment` and `POST /api/dci/txn/status`: accepted messages, idempotency, processing."""

from datetime import timedelta

import pytest

from portal.extensions import db
from tests.integration.enrollment_support import (
    api_client, bearer, counts, ibr_envelope, live_peers, person, portal_config, run_jobs, sample, sandbox_rows,
)


@pytest.fixture
def setup(make_app):
    with live_peers() as (imis, spp):
        app = make_app(portal_config(imis, spp))
        http = app.test_client()
        client_id, secret = api_client(app, "openspp")
        yield app, http, bearer(http, client_id, secret), imis


def batch_ids(app):
    from portal.enrollment.models import EnrollmentBatch

    with app.app_context():
        return list(db.session.scalars(db.select(EnrollmentBatch.id).order_by(EnrollmentBatch.id)))


def test_spec_envelope_is_acknowledged_then_enrolled(setup):
    app, http, token, imis = setup
    response = http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    assert response.status_code == 200
    body = response.json
    assert body["header"]["status"] == "rcvd" and body["header"]["action"] == "on-notify"
    assert body["header"]["message_id"] == "msg-1" and body["header"]["receiver_id"] == "openspp"
    assert body["message"]["transaction_id"] == "txn-1" and body["message"]["correlation_id"]
    assert body["message"]["enrolled_response"] == [
        {"reference_id": "UIN:847951632", "timestamp": body["message"]["enrolled_response"][0]["timestamp"],
         "status": "rcvd"}]
    [batch_id] = batch_ids(app)
    run_jobs(app)
    assert counts(app, batch_id)["done"] == 1
    insurees = [i for i in sandbox_rows(imis, "insurees") if i["last_name"] == "Phumchai"]
    assert len(insurees) == 1 and insurees[0]["other_names"] == "Sudarat" and insurees[0]["passport"] == "847951632"


def test_official_ibr_sample_is_accepted(setup):
    app, http, token, _imis = setup
    message = sample("dci_spdci_standards_ibr_processflow1req.json")
    message["header"]["sender_id"] = "openspp"  # the sample's "SP-System" is our registered client's name here
    response = http.post("/api/dci/enrollment", json=message, headers=token)
    assert response.status_code == 200, response.json
    assert response.json["header"]["action"] == "on-register"
    assert response.json["message"]["enrolled_response"][0]["reference_id"] == "NID:0205202401"
    run_jobs(app)
    assert counts(app, batch_ids(app)[0])["done"] == 1


def test_plain_openspp_individual_is_accepted(setup):
    app, http, token, imis = setup
    body = {"name": "DOE, JANE", "given_name": "Jane", "family_name": "Doe", "gender": "Female",
            "birthdate": "1990-01-02", "ids": [{"id_type": "National ID", "value": "NP-42"}],
            "phone_numbers": [{"phone_no": "+977 9800000042"}], "email": "jane@example.org", "is_group": False}
    response = http.post("/api/dci/enrollment", json=body, headers=token)
    assert response.status_code == 200
    assert response.json["reference_id"] == "National ID:NP-42" and response.json["status"] == "rcvd"
    run_jobs(app)
    again = http.post("/api/dci/enrollment", json=body, headers=token)
    assert again.json["status"] == "succ" and again.json["insurance_number"]
    assert len(batch_ids(app)) == 1
    assert [i for i in sandbox_rows(imis, "insurees") if i["last_name"] == "Doe"][0]["phone"] == "+977 9800000042"


def test_the_same_message_twice_is_processed_once(setup):
    app, http, token, imis = setup
    message = ibr_envelope([person(), person(given="Somchai", uin="111222333", sex="male")])
    first = http.post("/api/dci/enrollment", json=message, headers=token)
    second = http.post("/api/dci/enrollment", json=message, headers=token)
    assert first.status_code == second.status_code == 200
    assert first.json["message"]["correlation_id"] == second.json["message"]["correlation_id"]
    assert len(batch_ids(app)) == 1
    run_jobs(app)
    third = http.post("/api/dci/enrollment", json=message, headers=token)
    assert [r["status"] for r in third.json["message"]["enrolled_response"]] == ["succ", "succ"]
    assert len([i for i in sandbox_rows(imis, "insurees") if i["last_name"] == "Phumchai"]) == 2


def test_a_known_reference_in_a_new_message_is_not_processed_again(setup):
    app, http, token, _imis = setup
    http.post("/api/dci/enrollment", json=ibr_envelope([person()], message_id="m-1"), headers=token)
    run_jobs(app)
    later = http.post("/api/dci/enrollment", json=ibr_envelope([person()], message_id="m-2"), headers=token)
    assert later.status_code == 200
    assert later.json["message"]["enrolled_response"][0]["status"] == "succ"
    assert len(batch_ids(app)) == 1


def test_someone_enrolled_from_the_ui_is_refused_when_pushed(setup):
    from tests.integration.enrollment_support import enroll, people

    app, http, token, _imis = setup
    sita = next(p for p in people(app) if p.openspp_id == "National ID:NP-1984031201")
    enroll(app, [(sita, {}, None)])
    run_jobs(app)
    pushed = {"person": {"identifier": [{"identifier_type": "National ID", "identifier_value": "NP-1984031201"}],
                         "name": {"given_name": "Sita", "surname": "Shrestha"}, "sex": "female",
                         "birth_date": "1984-03-12"}}
    response = http.post("/api/dci/enrollment", json=ibr_envelope([pushed]), headers=token)
    assert response.status_code == 400  # the only beneficiary is rejected
    entry = response.json["message"]["enrolled_response"][0]
    assert entry["status"] == "rjct" and entry["status_reason_message"].startswith("already enrolled")
    assert response.json["header"]["status_reason_code"] == "rjct.errors.too_many"


def test_an_expired_token_is_refused(setup):
    app, http, token, _imis = setup
    from portal.auth.models import ApiToken
    from portal.timeutil import utcnow

    with app.app_context():
        db.session.execute(db.update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    assert response.status_code == 401
    assert response.json == {"errors": [{"code": "err.request.unauthorized",
                                         "message": "the bearer token has expired"}]}
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_txn_status_reports_the_outcome_and_insurance_number(setup):
    app, http, token, _imis = setup
    http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    query = {
        "header": {"version": "1.0.0", "message_id": "st-1", "message_ts": "2025-07-01T10:05:00Z",
                   "action": "txn-status", "sender_id": "openspp", "total_count": 1},
        "message": {"transaction_id": "txn-2", "txnstatus_request": {
            "reference_id": "q-1", "txn_type": "receipt", "attribute_type": "reference_id_list",
            "attribute_value": ["UIN:847951632", "UIN:000"]}},
    }
    pending = http.post("/api/dci/txn/status", json=query, headers=token).json
    beneficiaries = pending["message"]["txnstatus_response"]["txn_status"]["receipt_information"]["beneficiaries"]
    assert [b["status"] for b in beneficiaries] == ["pdng", "rjct"]
    assert beneficiaries[1]["status_reason_code"] == "rjct.reference_id.invalid"
    run_jobs(app)
    done = http.post("/api/dci/txn/status", json=query, headers=token).json
    assert done["header"]["action"] == "txn-on-status" and done["header"]["status"] == "succ"
    first = done["message"]["txnstatus_response"]["txn_status"]["receipt_information"]["beneficiaries"][0]
    assert first["status"] == "succ" and first["enrolment_status"] == "Active"
    assert len(first["insurance_number"]) == 10
    query["message"]["txnstatus_request"].update(attribute_type="transaction_id", attribute_value="txn-1")
    by_transaction = http.post("/api/dci/txn/status", json=query, headers=token).json
    assert len(by_transaction["message"]["txnstatus_response"]["txn_status"]["receipt_information"][
        "beneficiaries"]) == 1


def test_another_senders_references_are_not_visible(setup):
    app, http, token, _imis = setup
    http.post("/api/dci/enrollment", json=ibr_envelope([person()]), headers=token)
    other = bearer(http, *api_client(app, "other-registry"))
    query = {
        "header": {"message_id": "st-1", "message_ts": "2025-07-01T10:05:00Z", "action": "txn-status",
                   "sender_id": "other-registry", "total_count": 1},
        "message": {"transaction_id": "t", "txnstatus_request": {
            "reference_id": "q", "txn_type": "receipt", "attribute_type": "reference_id_list",
            "attribute_value": ["UIN:847951632"]}},
    }
    answer = http.post("/api/dci/txn/status", json=query, headers=other).json
    entry = answer["message"]["txnstatus_response"]["txn_status"]["receipt_information"]["beneficiaries"][0]
    assert entry["status"] == "rjct"
