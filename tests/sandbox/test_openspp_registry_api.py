"""Sandbox openSPP registry REST API: OpenG2P's shapes, FastAPI's error bodies, the response-model quirks."""

import pytest

from portal_sandbox.openspp import create_app, seed

ROOT = "/api/v1/registry"
WIKI_KEYS = ["id", "name", "reg_ids", "is_group", "registration_date", "phone_number_ids", "email", "address",
             "create_date", "write_date", "given_name", "addl_name", "family_name", "gender", "birthdate", "age",
             "birth_place"]


@pytest.fixture(scope="module")
def client():
    return create_app({}).test_client()


@pytest.fixture(scope="module")
def fixed_client():
    return create_app({"G2P_QUIRKS": False}).test_client()


def test_get_by_id_has_the_wiki_sample_keys_in_order(client):
    response = client.get(f"{ROOT}/individual/{seed.PLANTED['complete']}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert list(response.json) == WIKI_KEYS
    assert response.json["name"] == "SHRESTHA, SITA KUMARI"
    assert response.json["create_date"].endswith("+05:45")


def test_quirks_null_six_fields_and_empty_the_aliased_lists(client):
    body = client.get(f"{ROOT}/individual/{seed.PLANTED['complete']}").json
    for key in ("addl_name", "gender", "birthdate", "birth_place", "email", "address"):
        assert body[key] is None
    assert body["reg_ids"] == [] and body["phone_number_ids"] == []
    assert body["age"].isdigit()  # computed from the birthdate the validator hides
    assert body["given_name"] == "Sita" and body["family_name"] == "Shrestha"


def test_without_quirks_every_field_is_returned(fixed_client):
    body = fixed_client.get(f"{ROOT}/individual/{seed.PLANTED['complete']}").json
    assert body["birthdate"] == "1984-03-12"
    assert body["gender"] == "Female"
    assert body["reg_ids"][0] == {"id": 1, "id_type_as_str": "National ID", "value": "NP-1984031201",
                                  "expiry_date": None}
    assert body["phone_number_ids"][0]["phone_sanitized"] == "+9779841234567"


def test_missing_birthdate_reads_no_birthdate_in_age(client):
    assert client.get(f"{ROOT}/individual/{seed.PLANTED['no_birthdate']}").json["age"] == "No Birthdate!"


@pytest.mark.parametrize("partner_id", [999999, seed.PLANTED["group"]], ids=["unknown", "household"])
def test_unknown_id_is_a_400_with_fastapi_detail(client, partner_id):
    response = client.get(f"{ROOT}/individual/{partner_id}")
    assert response.status_code == 400
    assert response.json == {"detail": "Record is not present in the database."}


def test_non_numeric_path_id_fails_in_the_orm(client):
    response = client.get(f"{ROOT}/individual/abc")
    assert response.status_code == 500
    assert response.json == {"detail": "Internal Server Error"}


def test_name_search_is_a_case_sensitive_substring(client):
    upper = client.get(f"{ROOT}/individual", query_string={"name": "GURUNG, MAYA"})
    assert upper.status_code == 200
    assert set(seed.PLANTED["same_name"]) <= {row["id"] for row in upper.json}
    lower = client.get(f"{ROOT}/individual", query_string={"name": "gurung, maya"})
    assert lower.status_code == 400
    assert lower.json == {"detail": "The specified criteria did not match any records."}


def test_name_search_matches_non_ascii(client):
    rows = client.get(f"{ROOT}/individual", query_string={"name": "NGUYỄN, THỊ"}).json
    assert seed.PLANTED["non_ascii"] in {row["id"] for row in rows}


def test_id_and_name_combine(client):
    rows = client.get(f"{ROOT}/individual", query_string={"_id": 16, "name": "GURUNG"}).json
    assert [row["id"] for row in rows] == [16]


def test_without_filters_every_individual_is_listed_by_name(client):
    rows = client.get(f"{ROOT}/individual").json
    assert len(rows) == 1000
    names = [row["name"].casefold() for row in rows]
    assert names == sorted(names)


def test_bad_id_parameter_is_a_422_with_pydantic_errors(client):
    response = client.get(f"{ROOT}/individual", query_string={"_id": "abc"})
    assert response.status_code == 422
    assert response.json["detail"][0]["type"] == "int_parsing"
    assert response.json["detail"][0]["loc"] == ["query", "_id"]
