"""A search answer the DCI client cannot read fails with a message naming what it expected and what came; it never
reads as "nobody found". The shapes are real servers' answers: openIMIS's own DCI module (openimis-be-api_dci_py),
the SPDCI IBR mock-up (spdci/IBR-Mockup-Compliance `mockoon-ibr.json`), an asynchronous ACK."""

import httpx
import pytest

from portal.clients.errors import PermanentPeerError
from tests.fakes.openspp import dci_client

HEADER = {"version": "1.0.0", "message_id": "response-m-1", "message_ts": "2025-07-01T10:00:00Z",
          "action": "on-search", "sender_id": "openimis", "receiver_id": "interop-portal", "status": "success"}
# openIMIS PersonConverter.individual_to_dci_person @baa53f9e
OPENIMIS_PERSON = {"@type": "Person", "id": "openimis:individual:5c3e…", "firstName": "Sita", "lastName": "Shrestha",
                   "dob": "1984-03-12", "gender": "Female"}
ITEM = {"reference_id": "r-1", "timestamp": "2025-07-01T10:00:00Z", "status": "succ"}


def client_answering(answer):
    """openSPP grants a token, then answers every search with HTTP 200 and `answer`."""
    def handler(request):
        if request.url.path == "/oauth2/client/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer"})
        return httpx.Response(200, json=answer)

    return dci_client(handler, retry_delays=(0,))


def read(answer):
    with pytest.raises(PermanentPeerError) as raised:
        client_answering(answer).search()
    assert raised.value.code == "shape.unknown"
    return str(raised.value)


@pytest.mark.parametrize("answer, expected, found", [
    ({"header": HEADER, "message": {"transaction_id": "t", "search_response": [
        {**ITEM, "status_reason_code": "succ", "status_reason_message": "Success",
         "registry_data": {"data": [OPENIMIS_PERSON]}}]}},
     "message.search_response[0].data.reg_records[]",
     "message.search_response[0] {reference_id, registry_data, status, status_reason_code, status_reason_message, "
     "timestamp}"),
    ({"header": HEADER, "message": {"transaction_id": "t", "search_response": [
        {**ITEM, "registry_data": {"data": []}}]}},
     "message.search_response[0].data.reg_records[]", "message.search_response[0] {reference_id, registry_data"),
    ({"header": HEADER, "message": {"transaction_id": "t", "data": [OPENIMIS_PERSON], "count": 1}},
     "message.search_response[]", "message {count, data, transaction_id}"),
    ({"transaction_id": 123456789, "correlation_id": "9876543210", "search_response": [ITEM]},
     "{header, message}", "the answer {correlation_id, search_response, transaction_id}"),
    ({"header": HEADER, "message": {"transaction_id": "t", "search_response": [
        {**ITEM, "data": {"reg_records": [OPENIMIS_PERSON]}}]}},
     "message.search_response[0].data.reg_records[0].identifier",
     "message.search_response[0].data.reg_records[0] {@type, dob, firstName, gender, id, lastName}"),
    ({"message": {"ack_status": "ACK", "timestamp": "", "correlation_id": "9876543210"}},
     "message.search_response[]", "message.ack_status ACK"),
    ({"header": HEADER, "message": {"transaction_id": "t", "search_response": ["r-1"]}},
     "message.search_response[0] as an object", "message.search_response[0] as a string"),
    ([OPENIMIS_PERSON], "{header, message}", "the answer as an array"),
], ids=["openimis-registry-data", "openimis-registry-data-empty", "openimis-message-data", "ibr-mockup-bare-message",
        "records-without-identifier", "async-ack", "item-not-an-object", "bare-list"])
def test_an_unknown_shape_names_what_was_expected_and_what_came(answer, expected, found):
    said = read(answer)
    assert said.startswith(f"openSPP's search answer is in a shape the portal does not read: expected {expected}, "
                           f"found {found}")


def test_what_came_is_named_by_its_keys_never_its_values():
    said = read({"header": HEADER, "message": {"transaction_id": "t", "search_response": [
        {**ITEM, "data": {"reg_records": [OPENIMIS_PERSON]}}]}})
    assert "Sita" not in said and "1984" not in said


@pytest.mark.parametrize("answer, names", [
    ({"header": {"message_id": "m", "status": "succ"}, "message": {"transaction_id": "t", "search_response": []}},
     []),
    ({"header": HEADER, "message": {"transaction_id": "t", "search_response": [{**ITEM, "data": {"reg_records": [
        {"identifier": [{"type": "openimis_uuid", "value": "5c3e", "system": "openimis"}],
         "name": {"given_name": "Sita", "family_name": "Shrestha", "full_name": "Sita Shrestha"},
         "birth_date": "1984-03-12T00:00:00Z", "sex": "female"}]}}]}},
     ["Sita Shrestha"]),
], ids=["openspp17-nobody-found", "openimis-spdci-person"])
def test_known_shapes_are_still_read(answer, names):
    page = client_answering(answer).search()
    assert [r.name for r in page.items] == names and page.total == len(names)
