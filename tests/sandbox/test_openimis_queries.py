"""Sandbox openIMIS queries: validated against the real SDL, filters, code lists, paging."""

import pytest

from portal_sandbox.openimis import create_app


@pytest.fixture(scope="module")
def api():
    app = create_app({"ASYNC_MUTATIONS": False})
    http = app.test_client()
    token = http.post("/api/api_fhir_r4/login/", json={"username": "Admin", "password": "admin123"}).json["token"]

    def post(query, **variables):
        return http.post("/api/graphql", json={"query": query, "variables": variables},
                         headers={"Authorization": f"Bearer {token}"})
    return post


def data(response):
    assert response.status_code == 200 and "errors" not in response.json, response.json
    return response.json["data"]


@pytest.mark.parametrize("query, message", [
    ("{ insurees { edges { node { nickname } } } }", "Cannot query field 'nickname' on type 'InsureeGQLType'."),
    ('{ insurees(nationalId: "1") { totalCount } }', "Unknown argument 'nationalId' on field 'Query.insurees'."),
    ("{ insurees { edges { node { chfId }", "Syntax Error"),
    ("{ maritalStatuses { code } }", "Cannot query field 'maritalStatuses' on type 'Query'."),
])
def test_queries_are_validated_against_the_real_schema(api, query, message):
    response = api(query)
    assert response.status_code == 400
    assert "data" not in response.json
    assert message in response.json["errors"][0]["message"]


def test_missing_query_is_400(api):
    assert api("").status_code == 400


def test_insuree_by_chf_id_with_codes(api):
    node = data(api("""{ insurees(chfId: "1000000016") { totalCount edges { node { id uuid chfId lastName
        otherNames dob head marital passport gender { code gender } typeOfId { code identificationType }
        profession { id profession } education { id education } currentVillage { id code name }
        family { uuid location { name } } } } } }"""))["insurees"]["edges"][0]["node"]
    assert node["chfId"] == "1000000016" and node["lastName"] == "Juma" and node["dob"] == "1980-04-12"
    assert node["gender"] == {"code": "M", "gender": "Male"}
    assert node["typeOfId"] == {"code": "N", "identificationType": "National ID"}
    assert node["profession"]["id"] == 3 and node["currentVillage"]["name"] == "Rachla"
    assert node["id"] == "SW5zdXJlZUdRTFR5cGU6MQ=="  # relay id base64("InsureeGQLType:1")


@pytest.mark.parametrize("args, expected", [
    ('passport: "P1234567"', ["1000000032"]),
    ('passport_Iexact: "p1234567"', ["1000000032"]),
    ('lastName: "Juma"', ["1000000016", "1000000024"]),
    ('lastName_Istartswith: "ju", head: true', ["1000000016"]),
    ('otherNames_Icontains: "NEE"', ["1000000024"]),
    ('gender_Code: "F", orderBy: ["-dob"]', ["1000000024", "1000000032"]),
    ('dob_Gte: "1980-01-01", dob_Lt: "1984-01-01"', ["1000000016"]),
    ('email_Isnull: false', ["1000000032"]),
    ('chfId: "0000000000"', []),
])
def test_insuree_filters(api, args, expected):
    edges = data(api(f"{{ insurees({args}) {{ edges {{ node {{ chfId }} }} }} }}"))["insurees"]["edges"]
    assert [e["node"]["chfId"] for e in edges] == expected


def test_family_by_head_number_and_members(api):
    node = data(api("""{ families(headInsuree_ChfId: "1000000016") { edges { node { uuid poverty
        familyType { code type } headInsuree { chfId } members { edges { node { chfId } } } } } } }"""))[
        "families"]["edges"][0]["node"]
    assert node["headInsuree"]["chfId"] == "1000000016"
    assert node["familyType"] == {"code": "H", "type": "Household"}
    assert {e["node"]["chfId"] for e in node["members"]["edges"]} == {"1000000016", "1000000024"}
    by_member = data(api('{ families(members_ChfId: "1000000024") { edges { node { uuid } } } }'))
    assert by_member["families"]["edges"][0]["node"]["uuid"] == node["uuid"]


def test_code_lists(api):
    codes = data(api("""{ insureeGenders { code } identificationTypes { code identificationType }
        professions { id profession } educations { id education } relations { id relation }
        familyTypes { code } }"""))
    assert [g["code"] for g in codes["insureeGenders"]] == ["M", "F", "O"]
    assert {"code": "N", "identificationType": "National ID"} in codes["identificationTypes"]
    assert {"id": 4, "profession": "Others"} in codes["professions"]
    assert {"id": 1, "education": "Nursery"} in codes["educations"]
    assert {"id": 1, "relation": "Brother/Sister"} in codes["relations"]


def test_location_tree(api):
    villages = data(api('{ locations(type: "V") { edges { node { id code name '
                        'parent { name parent { name parent { name type } } } } } } }'))["locations"]
    assert len(villages["edges"]) == 5  # LocationGQLTypeConnection has no totalCount in openIMIS
    rachla = next(e["node"] for e in villages["edges"] if e["node"]["name"] == "Rachla")
    assert rachla["parent"]["name"] == "Jamu" and rachla["parent"]["parent"]["parent"]["type"] == "R"
    regions = data(api('{ locations(type: "R") { edges { node { uuid name } } } }'))["locations"]["edges"]
    children = data(api('query($u: String) { locations(parent_Uuid: $u) { edges { node { name } } } }',
                        u=regions[0]["node"]["uuid"]))
    assert {e["node"]["name"] for e in children["locations"]["edges"]} == {"Rajo", "Kisuku"}


def test_products_and_officers(api):
    products = data(api("{ products { edges { node { id code name insurancePeriod lumpSum location { code } } } } }"))
    assert [e["node"]["code"] for e in products["products"]["edges"]] == ["BCP0001", "SPC0001", "RJP0001"]
    assert products["products"]["edges"][0]["node"]["lumpSum"] == "10000.00"
    # a village in Kisuku district does not see the Rajo district product
    local = data(api("{ products(location: 10) { edges { node { code } } } }"))
    assert [e["node"]["code"] for e in local["products"]["edges"]] == ["BCP0001", "SPC0001"]
    for field in ("policyOfficers", "enrolmentOfficers"):
        officers = data(api(f"{{ {field} {{ edges {{ node {{ id code lastName otherNames }} }} }} }}"))[field]
        assert [e["node"]["code"] for e in officers["edges"]] == ["E00001", "E00002"]
    search = data(api('{ policyOfficers(search: "okel") { edges { node { code } } } }'))
    assert [e["node"]["code"] for e in search["policyOfficers"]["edges"]] == ["E00002"]


def test_connection_paging_and_the_100_row_limit(api):
    page = data(api("{ insurees(first: 2) { totalCount edgeCount pageInfo { hasNextPage endCursor } "
                    "edges { node { chfId } } } }"))["insurees"]
    assert page["totalCount"] == 3 and page["edgeCount"] == 2 and page["pageInfo"]["hasNextPage"]
    rest = data(api("query($a: String) { insurees(first: 2, after: $a) { pageInfo { hasNextPage } "
                    "edges { node { chfId } } } }", a=page["pageInfo"]["endCursor"]))["insurees"]
    assert [e["node"]["chfId"] for e in rest["edges"]] == ["1000000032"] and not rest["pageInfo"]["hasNextPage"]
    too_many = api("{ insurees(first: 101) { totalCount } }")
    assert too_many.json["errors"][0]["message"] == (
        "Requesting 101 records on the `insurees` connection exceeds the `first` limit of 100 records.")


def test_unimplemented_root_fields_say_so(api):
    response = api("{ claims { totalCount } }")
    assert response.status_code == 200
    assert "not implemented" in response.json["errors"][0]["message"]


def test_sandbox_introspection_route():
    http = create_app({"ASYNC_MUTATIONS": False}).test_client()
    rows = http.get("/_sandbox/insurees").json
    assert [r["chf_id"] for r in rows] == ["1000000016", "1000000024", "1000000032"]
    assert http.get("/_sandbox/insurees?passport=P1234567").json[0]["chf_id"] == "1000000032"
