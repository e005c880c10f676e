"""Sandbox openIMIS: the insuree input `status`, `statusReason`, `statusDate` as upstream openIMIS takes them.

Upstream (openimis-be-insuree_py develop @ b2216940): `insuree/gql_mutations.py` `InsureeBase` declares
`status = String`, `status_reason = String`, `status_date = Date`; `insuree/services.py`
`InsureeService.create_or_update` defaults the status to AC, refuses any other code than AC/IN/DE
(`models.InsureeStatus`) with `mutation.insuree.wrong_status`, and for IN/DE looks the reason up by code in
`InsureeStatusReason` (its `status_type` must be the same status). The outcome shows only in mutationLogs.
"""

import json

import pytest

from portal_sandbox.openimis import create_app
from tests.sandbox.openimis_support import CREATE_INSUREE, Api, wait_done

HEAD = {"chfId": "1000000057", "lastName": "Otieno", "otherNames": "Akinyi", "genderId": "F", "dob": "1992-05-17"}


@pytest.fixture
def api():
    return Api(create_app({"ASYNC_MUTATIONS": False}))


def detail(api, cmid):
    (log,) = wait_done(api, cmid)
    assert log["status"] == 1, log
    (item,) = json.loads(log["error"])
    return item["message"], item["detail"]


def test_status_fields_are_accepted_as_upstream_declares_them(api):
    api.create_family("st-ok", HEAD["chfId"], status="AC", statusDate="2025-01-31")
    (log,) = wait_done(api, "st-ok")
    assert log["status"] == 2, log
    (row,) = api.insurees(HEAD["chfId"])
    assert (row["status"], row["status_date"], row["status_reason"]) == ("AC", "2025-01-31", None)


def test_without_status_the_insuree_is_active(api):
    api.create_family("st-default", HEAD["chfId"])
    assert wait_done(api, "st-default")[0]["status"] == 2
    assert api.insurees(HEAD["chfId"])[0]["status"] == "AC"


def test_inactive_or_dead_with_a_reason_of_that_status_is_saved(api):
    api.create_family("st-de", HEAD["chfId"], status="DE", statusReason="DE1", statusDate="2025-02-01")
    assert wait_done(api, "st-de")[0]["status"] == 2
    (row,) = api.insurees(HEAD["chfId"])
    assert (row["status"], row["status_reason"], row["status_date"]) == ("DE", 1, "2025-02-01")


@pytest.mark.parametrize("extra, expected", [
    ({"status": "XX"}, "['mutation.insuree.wrong_status']"),
    ({"status": "ac"}, "['mutation.insuree.wrong_status']"),
    ({"status": ""}, "['mutation.insuree.wrong_status']"),
    ({"status": None}, "['mutation.insuree.wrong_status']"),
    ({"status": "DE"}, "InsureeStatusReason matching query does not exist."),
    ({"status": "IN", "statusReason": "NOPE"}, "InsureeStatusReason matching query does not exist."),
    ({"status": "IN", "statusReason": "DE1"}, "['mutation.insuree.wrong_status']"),
    ({"statusReason": "DE1"},
     'Cannot assign "\'DE1\'": "Insuree.status_reason" must be a "InsureeStatusReason" instance.'),
], ids=["unknown-code", "lower-case", "empty", "explicit-null", "dead-without-reason", "unknown-reason",
        "reason-of-another-status", "reason-while-active"])
def test_refused_status_is_a_mutation_error_like_upstream(api, extra, expected):
    api.create_family("st-bad", HEAD["chfId"], **extra)
    assert detail(api, "st-bad") == ("insuree.mutation.failed_to_create_family", expected)
    assert api.insurees(HEAD["chfId"]) == []


def test_create_insuree_reports_the_status_error_as_its_own(api):
    api.data(CREATE_INSUREE, input={"clientMutationId": "st-ins", "familyId": 1, **HEAD, "status": "XX"})
    assert detail(api, "st-ins") == ("insuree.mutation.failed_to_create_insuree", "['mutation.insuree.wrong_status']")


def test_known_insuree_set_dead_needs_a_status_date(api):
    seeded = api.http.get("/_sandbox/insurees").json[0]
    api.data(CREATE_INSUREE, input={"clientMutationId": "st-upd", "uuid": seeded["uuid"], "chfId": seeded["chf_id"],
                                    "lastName": "Juma", "otherNames": "Amani", "genderId": "M", "dob": "1980-04-12",
                                    "status": "DE", "statusReason": "DE1"})
    assert detail(api, "st-upd") == ("insuree.mutation.failed_to_create_insuree", "'status_date'")


def test_unknown_insuree_uuid_set_inactive_is_refused(api):
    api.data(CREATE_INSUREE, input={"clientMutationId": "st-unk", "uuid": "0b9ff8a4-5b1e-4a51-9a4a-0f0000000001",
                                    **HEAD, "status": "IN", "statusReason": "IN1", "statusDate": "2025-01-01"})
    assert detail(api, "st-unk") == ("insuree.mutation.failed_to_create_insuree",
                                     "Insuree matching query does not exist.")


@pytest.mark.parametrize("extra, message", [
    ({"statusDate": "31/01/2025"}, "Expected value of type 'Date'"),
    ({"status": 1}, "String cannot represent a non string value"),
    ({"statusReason": ["DE1"]}, "String cannot represent a non string value"),
], ids=["date-not-iso", "status-not-string", "reason-not-string"])
def test_wrongly_typed_status_input_is_400(api, extra, message):
    response = api.post("""mutation($input: CreateFamilyMutationInput!) {
      createFamily(input: $input) { clientMutationId } }""",
                        input={"clientMutationId": "st-type", "headInsuree": {**HEAD, **extra}})
    assert response.status_code == 400 and "data" not in response.json
    assert message in response.json["errors"][0]["message"]
    assert api.logs("st-type") == []
