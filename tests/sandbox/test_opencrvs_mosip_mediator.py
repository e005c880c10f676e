"""The sandbox country-config `/mosip-openhim-mediator` does what OpenCRVS 1.x's real `mosipMediatorHandler`
does (opencrvs/opencrvs-mosip `src/api/mosip-openhim-mediator/handler.ts`): it reads only `BRN`, writes
`MOSIP_PSUT_TOKEN_ID` on the birth's Patient and `MOSIP_AID` on its Task, and throws (Hapi: HTTP 500) when no
birth record has that BRN. It has no death and no error channel."""

import pytest

from portal_sandbox.opencrvs import create_app

AID = "10001100010000120250101000000"
TOKEN = "257803821990055124230310596669133515"
HAPI_500 = {"statusCode": 500, "error": "Internal Server Error", "message": "An internal server error occurred"}


@pytest.fixture
def client():
    return create_app({"PUBLIC_URL": "http://opencrvs.test"}).test_client()


def bearer(client):
    body = {"client_id": "interop-portal", "client_secret": "demo-opencrvs-client-secret"}
    return {"Authorization": f"Bearer {client.post('/authenticateSystemClient', json=body).json['token']}"}


def emitted(client, kind):
    return client.post("/_sandbox/emit", json={"kind": kind}).json["records"][0]["registration_number"]


def stored_identifiers(client):
    return [r["identifiers"] for r in client.get("/_sandbox/records").json["records"]]


THROWS = [
    # The portal's old death body: `MOSIP_AID` makes the handler call processAID(aid, BRN=undefined).
    ("death number with an AID", lambda births, deaths: {"DRN": deaths, "MOSIP_AID": AID}),
    ("death number as BRN", lambda births, deaths: {"BRN": deaths, "MOSIP_AID": AID}),
    ("unknown BRN with a token", lambda births, deaths: {"BRN": "2025BUNKNOWN", "MOSIP_PSUT_TOKEN_ID": TOKEN}),
    ("no BRN with a token", lambda births, deaths: {"MOSIP_PSUT_TOKEN_ID": TOKEN}),
]


@pytest.mark.parametrize("make_body", [t[1] for t in THROWS], ids=[t[0] for t in THROWS])
def test_a_body_naming_no_birth_record_throws_as_the_real_handler_does(client, make_body):
    body = make_body(emitted(client, "birth"), emitted(client, "death"))

    response = client.post("/mosip-openhim-mediator", json=body, headers=bearer(client))

    assert response.status_code == 500 and response.json == HAPI_500
    assert stored_identifiers(client) == [{}, {}]


IGNORED = [
    ("death number with a comment", lambda births, deaths: {"DRN": deaths, "COMMENT": "NID deactivated"}),
    ("birth number with an error", lambda births, deaths: {"BRN": births, "MOSIP_ERROR": {"code": "REJECTED"}}),
]


@pytest.mark.parametrize("make_body", [t[1] for t in IGNORED], ids=[t[0] for t in IGNORED])
def test_keys_the_real_handler_does_not_read_are_a_200_that_changes_nothing(client, make_body):
    body = make_body(emitted(client, "birth"), emitted(client, "death"))

    response = client.post("/mosip-openhim-mediator", json=body, headers=bearer(client))

    assert response.status_code == 200
    assert stored_identifiers(client) == [{}, {}]


def test_a_birth_token_and_aid_are_written_on_the_birth_record(client):
    number = emitted(client, "birth")

    response = client.post("/mosip-openhim-mediator", json={"BRN": number, "MOSIP_PSUT_TOKEN_ID": TOKEN,
                                                            "MOSIP_AID": AID}, headers=bearer(client))

    assert response.status_code == 200
    assert stored_identifiers(client) == [{"MOSIP_PSUT_TOKEN_ID": TOKEN, "MOSIP_AID": AID}]
