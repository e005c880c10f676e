"""Contract: the sync search envelope the portal's DCI client sends validates against the SPDCI registry-core and
social-registry `/registry/sync/search` request schemas (tests/fixtures/dci), with jsonschema.

openSPP 17's own deviations stay (../shared/specs/notes/openspp-openimis.md §1.2, spp_dci_api_server): `reg_type`
"SPP:RegistryType:Individual" and `query_type` "predicate" are the only values it accepts, listing everyone is the
predicate `[]`, and it pages nothing (the portal still sends `pagination`, which a paging server honours). These
are valid values of the documents' open types (`RegistryType` is any string, `ExpPredicateWithConditionList` any
array), so the schemas hold. The token request is not validated as a body: openSPP wants JSON with `db_name` where
authz_core says form-encoded; its fields are checked against `OAuth2ClientTokenRequest` instead."""

import json

import httpx
import pytest

from tests.dci_spec import AUTHZ, REGISTRY_CORE, SOCIAL, component, problems, request_schema
from tests.fakes.openspp import dci_client

NOBODY = {"header": {"message_id": "m", "status": "succ"}, "message": {"transaction_id": "t", "search_response": []}}


@pytest.fixture
def sent_by():
    """sent_by(call, **options): every JSON body the client sends for `call(client)`, as [(path, body)]."""
    def run(call, **options):
        sent = []

        def handler(request):
            sent.append((request.url.path, json.loads(request.content)))
            if request.url.path == "/oauth2/client/token":
                return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer"})
            return httpx.Response(200, json=NOBODY)

        call(dci_client(handler, **options))
        return sent

    return run


CALLS = {
    "list-everyone": (lambda c: c.search(), {}),
    "by-id-idtype-value": (lambda c: c.get("National ID:NP-1984031201"), {"id_query": "idtype-value"}),
}


@pytest.mark.parametrize("document", [REGISTRY_CORE, SOCIAL], ids=["registry-core", "social"])
@pytest.mark.parametrize("name", CALLS)
def test_the_search_envelope_validates(sent_by, document, name):
    call, options = CALLS[name]
    searches = [body for path, body in sent_by(call, **options) if path == "/registry/sync/search"]
    assert searches
    for body in searches:
        assert problems(request_schema(document, "/registry/sync/search"), body) == []


def test_the_token_request_carries_the_authz_core_fields(sent_by):
    [(path, body)] = [(p, b) for p, b in sent_by(lambda c: c.token()) if p == "/oauth2/client/token"]
    assert problems(component(AUTHZ, "OAuth2ClientTokenRequest"), body) == []
    assert body["grant_type"] == "client_credentials" and body["db_name"] == "openspp"


def test_the_validator_does_catch_a_broken_envelope(sent_by):
    [body] = [b for p, b in sent_by(lambda c: c.search()) if p == "/registry/sync/search"]
    body["header"].pop("total_count")
    body["message"]["search_request"][0]["search_criteria"]["query_type"] = "everyone"
    found = problems(request_schema(REGISTRY_CORE, "/registry/sync/search"), body)
    assert any(line.startswith("header: 'total_count' is a required property") for line in found)
    assert any("query_type" in line for line in found)
