"""Sandbox openIMIS mutations: async life cycle, mutationLogs errors, number rule, uniqueness, persistence."""

import json

import pytest

from portal_sandbox.openimis import create_app
from tests.sandbox.openimis_support import CREATE_FAMILY, CREATE_INSUREE, Api, wait_done

CREATE_POLICY = """mutation CreatePolicy($input: CreatePolicyMutationInput!) {
  createPolicy(input: $input) { clientMutationId internalId } }"""


@pytest.fixture
def api():
    return Api(create_app({"ASYNC_MUTATIONS": False}))


def test_async_mutation_is_received_first_then_succeeds():
    api = Api(create_app({"MUTATION_DELAY": 0.3}))
    reply = api.create_family("async-1", "1000000057")
    assert set(reply) == {"clientMutationId", "internalId"}  # nothing about the outcome
    assert reply["clientMutationId"] == "async-1"
    (log,) = api.logs("async-1")
    assert log["status"] == 0 and log["error"] is None
    assert api.insurees("1000000057") == []
    (log,) = wait_done(api, "async-1")
    assert log["status"] == 2
    assert api.insurees("1000000057")[0]["head"] is True
    by_id = api.data('query($id: UUID) { mutationLogs(id: $id) { edges { node { clientMutationId } } } }',
                     id=reply["internalId"])
    assert by_id["mutationLogs"]["edges"][0]["node"]["clientMutationId"] == "async-1"


def test_log_keeps_the_request_like_openimis(api):
    api.create_family("content-1", "1000000057")
    (log,) = api.logs("content-1")
    content = json.loads(log["jsonContent"])
    assert content["client_mutation_id"] == "content-1"
    assert content["head_insuree"]["chf_id"] == "1000000057"  # snake_case, as graphene hands it over
    assert log["clientMutationLabel"] == "test"


def test_created_family_is_found_by_client_mutation_id_and_head(api):
    api.create_family("fam-1", "1000000057", jsonExt=json.dumps({"source": "test"}))
    data = api.data("""{ families(clientMutationId: "fam-1") { edges { node { id uuid location { id name }
        headInsuree { chfId head jsonExt family { uuid } } } } } }""")
    node = data["families"]["edges"][0]["node"]
    assert node["location"]["name"] == "Agilo"
    assert node["headInsuree"]["chfId"] == "1000000057" and node["headInsuree"]["head"] is True
    assert json.loads(node["headInsuree"]["jsonExt"]) == {"source": "test"}
    assert node["headInsuree"]["family"]["uuid"] == node["uuid"]
    by_head = api.data('{ families(headInsuree_ChfId: "1000000057") { totalCount } }')
    assert by_head["families"]["totalCount"] == 1
    # openIMIS links createFamily to the family only (FamilyMutation), not to the head insuree
    assert api.data('{ insurees(clientMutationId: "fam-1") { totalCount } }')["insurees"]["totalCount"] == 0


@pytest.mark.parametrize("chf_id", ["12345", "10000000570", "1000000058", "", "ABCDEFGHIJ"])
def test_number_rule_failure_is_a_mutation_error(api, chf_id):
    api.create_family("rule-1", chf_id)
    (log,) = api.logs("rule-1")
    assert log["status"] == 1
    assert json.loads(log["error"]) == [{"message": "insuree.mutation.failed_to_create_family",
                                         "detail": "['invalid_insuree_number']"}]


def test_number_rule_is_configurable():
    api = Api(create_app({"ASYNC_MUTATIONS": False, "INSUREE_NUMBER_LENGTH": 8, "INSUREE_NUMBER_MODULO": 7}))
    api.create_family("m7-ok", "12345675")  # 1234567 % 7 == 5
    api.create_family("m7-bad", "12345676")
    assert api.logs("m7-ok")[0]["status"] == 2
    assert api.logs("m7-bad")[0]["status"] == 1
    validity = api.data('{ insureeNumberValidity(insureeNumber: "12345676") { isValid errorCode errorMessage } }')
    assert validity["insureeNumberValidity"] == {"isValid": False, "errorCode": 4, "errorMessage": "Invalid checksum"}


def test_no_rule_configured_accepts_any_number():
    api = Api(create_app({"ASYNC_MUTATIONS": False, "INSUREE_NUMBER_LENGTH": None, "INSUREE_NUMBER_MODULO": None}))
    api.create_family("free-1", "ABC-1")
    assert api.logs("free-1")[0]["status"] == 2


def test_duplicate_insuree_number_is_refused(api):
    api.create_family("dup-1", "1000000016")  # a seeded insuree's number
    (log,) = api.logs("dup-1")
    assert log["status"] == 1 and "invalid_insuree_number" in log["error"]
    assert len(api.insurees("1000000016")) == 1


def test_number_validity_query_does_not_check_uniqueness(api):
    validity = api.data('{ insureeNumberValidity(insureeNumber: "1000000016") { isValid } }')
    assert validity["insureeNumberValidity"]["isValid"] is True


def test_repeated_client_mutation_id_runs_again_like_openimis(api):
    api.create_family("again-1", "1000000057")
    api.create_family("again-1", "1000000057")
    first, second = api.logs("again-1")
    assert first["status"] == 2
    assert second["status"] == 1 and "invalid_insuree_number" in second["error"]
    assert len(api.insurees("1000000057")) == 1


def test_insuree_added_to_existing_family(api):
    api.data(CREATE_INSUREE, input={"clientMutationId": "member-1", "chfId": "1000000057", "lastName": "Juma",
                                    "otherNames": "Baraka", "genderId": "M", "dob": "2012-02-02", "familyId": 1,
                                    "relationshipId": 4, "head": False})
    assert api.logs("member-1")[0]["status"] == 2
    data = api.data('{ insurees(clientMutationId: "member-1") { edges { node { chfId head family { id } '
                    'relationship { relation } } } } }')
    node = data["insurees"]["edges"][0]["node"]
    assert node["family"]["id"] and node["head"] is False and node["relationship"]["relation"] == "Son/Daughter"
    members = api.data('{ families(headInsuree_ChfId: "1000000016") { edges { node { members { totalCount } } } } }')
    assert members["families"]["edges"][0]["node"]["members"]["totalCount"] == 3


@pytest.mark.parametrize("field, value, expected", [
    ("genderId", "X", 'Key ("Gender")=(X) is not present in table "tblGender"'),
    ("currentVillageId", 999, 'Key ("CurrentVillage")=(999) is not present'),
    ("typeOfIdId", "Z", 'Key ("TypeOfId")=(Z) is not present'),
    ("lastName", "x" * 101, "value too long for type character varying(100)"),
    ("genderId", "", "['insuree.validation.insuree_requires_gender']"),
])
def test_database_refusals_are_mutation_errors(api, field, value, expected):
    api.create_family("db-1", "1000000057", **{field: value})
    (log,) = api.logs("db-1")
    assert log["status"] == 1
    assert expected in json.loads(log["error"])[0]["detail"]


def test_missing_head_insuree(api):
    api.data(CREATE_FAMILY, input={"clientMutationId": "nohead-1", "locationId": 4})
    assert json.loads(api.logs("nohead-1")[0]["error"])[0]["detail"] == "no head insuree found"


@pytest.mark.parametrize("extra", [{"placeOfBirth": "Rajo"}, {"fatherName": "X"}])
def test_fork_fields_are_refused_as_unknown_input(api, extra):
    response = api.post(CREATE_FAMILY, input={"clientMutationId": "fork-1", "headInsuree": {
        "chfId": "1000000057", "lastName": "A", "otherNames": "B", "genderId": "M", "dob": "2000-01-01", **extra}})
    assert response.status_code == 400
    assert "not to include unknown field" in response.json["errors"][0]["message"]
    assert api.logs("fork-1") == []


@pytest.mark.parametrize("head, message", [
    ({"jsonExt": {"a": 1}}, "JSONString must be a JSON-encoded string"),
    ({"dob": "17/05/1992"}, "Expected value of type 'Date'"),
    ({"currentVillageId": "5"}, "Int cannot represent non-integer value"),
])
def test_wrongly_typed_input_is_400(api, head, message):
    response = api.post(CREATE_FAMILY, input={"clientMutationId": "type-1", "headInsuree": {
        "chfId": "1000000057", "lastName": "A", "otherNames": "B", "genderId": "M", "dob": "2000-01-01", **head}})
    assert response.status_code == 400 and "data" not in response.json
    assert message in response.json["errors"][0]["message"]


def test_create_policy_and_read_it_by_family(api):
    values = api.data('{ policyValues(stage: "N", enrollDate: "2025-03-10T00:00:00", productId: 1, familyId: 2) '
                      '{ policy { startDate expiryDate value } warnings } }')["policyValues"]
    assert values["policy"] == {"startDate": "2025-03-10", "expiryDate": "2026-03-09", "value": "10000.00"}
    api.data(CREATE_POLICY, input={"clientMutationId": "pol-1", "enrollDate": "2025-03-10", "startDate": "2025-03-10",
                                   "expiryDate": "2026-03-09", "value": "10000.00", "productId": 1, "familyId": 2,
                                   "officerId": 1})
    assert api.logs("pol-1")[0]["status"] == 2
    family_uuid = api.data('{ families(headInsuree_ChfId: "1000000032") { edges { node { uuid } } } }')[
        "families"]["edges"][0]["node"]["uuid"]
    policies = api.data('query($u: String!) { policiesByFamily(familyUuid: $u) { edges { node { productCode '
                        'officerCode enrollDate expiryDate status policyValue } } } }', u=family_uuid)
    assert policies["policiesByFamily"]["edges"][0]["node"] == {
        "productCode": "BCP0001", "officerCode": "E00001", "enrollDate": "2025-03-10", "expiryDate": "2026-03-09",
        "status": 1, "policyValue": 10000.0}


@pytest.mark.parametrize("field, model", [("productId", "Product"), ("familyId", "Family"), ("officerId", "Officer")])
def test_policy_with_unknown_reference_fails(api, field, model):
    policy = {"clientMutationId": "pol-x", "enrollDate": "2025-03-10", "startDate": "2025-03-10",
              "expiryDate": "2026-03-09", "value": "10.00", "productId": 1, "familyId": 2, "officerId": 1, field: 99}
    api.data(CREATE_POLICY, input=policy)
    assert json.loads(api.logs("pol-x")[0]["error"]) == [
        {"message": "policy.mutation.failed_to_create_policy", "detail": f"{model} matching query does not exist."}]


def test_data_file_survives_a_restart_and_finishes_pending_work(tmp_path):
    data_file = tmp_path / "openimis.sqlite"
    first = Api(create_app({"DATA_FILE": str(data_file), "ASYNC_MUTATIONS": False}))
    first.create_family("keep-1", "1000000057")
    slow = Api(create_app({"DATA_FILE": str(data_file), "MUTATION_DELAY": 60}))
    slow.create_family("keep-2", "1000000040")
    assert slow.logs("keep-2")[0]["status"] == 0
    again = Api(create_app({"DATA_FILE": str(data_file), "MUTATION_DELAY": 0}))
    assert again.insurees("1000000057")[0]["last_name"] == "Otieno"
    assert wait_done(again, "keep-2")[0]["status"] == 2
    assert len(again.insurees("1000000016")) == 1  # the seed is not inserted twice


def test_memory_state_is_per_app():
    Api(create_app({"ASYNC_MUTATIONS": False})).create_family("mem-1", "1000000057")
    assert Api(create_app({"ASYNC_MUTATIONS": False})).insurees("1000000057") == []
