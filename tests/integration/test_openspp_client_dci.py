"""The openSPP client in DCI mode against the sandbox over real HTTP: token, search, paging, errors."""

import time

import httpx
import pytest

from portal.clients import openspp
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.clients.jwtutil import jwt_expiry
from portal_sandbox.openspp import create_app, seed
from tests.fakes.openspp import clear_caches
from tests.peers import live_peer


@pytest.fixture(autouse=True)
def fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(scope="module")
def peer():
    with live_peer(create_app) as peer:
        yield peer


def client_for(peer, **kwargs):
    options = {"timeout": 2, "retries": 2, "retry_delays": (0, 0)}
    options.update(kwargs)
    return openspp.DciClient(peer.url, "interop-portal", "demo-openspp-secret", **options)


def facts(peer):
    return httpx.get(f"{peer.url}/_sandbox/facts").json()


def test_from_config_defaults_to_dci(peer):
    client = openspp.from_config({"PORTAL_OPENSPP_URL": peer.url, "PORTAL_OPENSPP_CLIENT_ID": "interop-portal",
                                  "PORTAL_OPENSPP_CLIENT_SECRET": "demo-openspp-secret"})
    assert isinstance(client, openspp.DciClient)
    assert client.search(page_size=5).total == 1000 - facts(peer)["without_ids"]


def test_search_all_is_paged_here(peer):
    client = client_for(peer)
    first = client.search(page=1, page_size=25)
    second = client.search(page=2, page_size=25)
    assert first.total == second.total == 1000 - facts(peer)["without_ids"]
    assert len(first.items) == len(second.items) == 25
    assert not {p.openspp_id for p in first.items} & {p.openspp_id for p in second.items}
    assert len(first.all_ids) == first.total


def test_search_by_name_is_case_sensitive(peer):
    client = client_for(peer)
    found = client.search(name="Maya Gurung", page_size=100)
    assert {"National ID:NP-1990011503", "National ID:NP-1962070404"} <= {p.openspp_id for p in found.items}
    assert client.search(name="maya gurung").total == 0


def test_search_by_name_with_non_ascii(peer):
    found = client_for(peer).search(name="Thị Hương Nguyễn")
    assert [p.openspp_id for p in found.items] == ["National ID:VN-1988090905"]


def test_search_by_id_accepts_our_key_or_a_bare_value(peer):
    client = client_for(peer)
    by_key = client.search(openspp_id="National ID:NP-1984031201")
    by_value = client.search(openspp_id="PA1234567")
    assert [p.name for p in by_key.items] == [p.name for p in by_value.items] == ["Sita Shrestha"]
    person = by_key.items[0]
    assert person.birthdate.isoformat() == "1984-03-12" and person.sex == "female"
    assert client.search(openspp_id="nobody").total == 0


def test_individuals_without_ids_are_invisible_to_dci(peer):
    found = client_for(peer).search(name="José Muñoz", page_size=100).items
    # the planted José Muñoz (born 1978-11-30) has no registration id: openSPP's DCI skips him
    assert all(p.identifiers for p in found)
    assert "1978-11-30" not in {p.birthdate.isoformat() for p in found if p.birthdate}


def test_one_token_serves_many_searches(peer):
    before = facts(peer)["tokens_issued"]
    client = client_for(peer)
    client.search(page_size=1)
    client.search(page_size=1)
    assert facts(peer)["tokens_issued"] == before + 1


def test_token_is_renewed_before_it_expires():
    with live_peer(create_app, {"TOKEN_TTL_SECONDS": 4}) as peer:
        client = client_for(peer)
        token = client.token()
        time.sleep(max(0, jwt_expiry(token) - time.time() - 0.3))
        client.search(page_size=1)
        assert facts(peer)["tokens_issued"] == 2
        assert client.token() != token


def test_token_rejected_early_is_renewed_once(peer):
    client = client_for(peer)
    client.search(page_size=1)
    before = facts(peer)["tokens_issued"]
    httpx.post(f"{peer.url}/_sandbox/clock", json={"advance_seconds": 601})  # openSPP now sees it expired
    try:
        assert client.search(page_size=1).total > 0
    finally:
        httpx.post(f"{peer.url}/_sandbox/clock", json={"advance_seconds": -601})
    assert facts(peer)["tokens_issued"] == before + 1


def test_bad_credentials_are_permanent(peer):
    client = openspp.DciClient(peer.url, "interop-portal", "wrong", retry_delays=(0,))
    with pytest.raises(PermanentPeerError, match="client id or secret") as raised:
        client.search()
    assert raised.value.status == 401


def test_unknown_database_is_permanent(peer):
    with pytest.raises(PermanentPeerError, match="DB not found"):
        client_for(peer, db_name="nope").search()


def test_transient_errors_are_retried_within_the_call(peer):
    client = client_for(peer)
    peer.fail(503, count=2, path="/registry/sync/search")
    try:
        assert client.search(page_size=1).total > 0
    finally:
        peer.heal()


def test_persistent_5xx_is_transient(peer):
    client = client_for(peer, retries=1)
    peer.fail(503, path="/registry/sync/search")
    try:
        with pytest.raises(TransientPeerError) as raised:
            client.search()
        assert raised.value.status == 503
    finally:
        peer.heal()


def test_timeout_is_transient(peer):
    client = client_for(peer, timeout=0.3, retries=0)
    peer.slow(1.0, count=1, path="/oauth2/client/token")
    try:
        with pytest.raises(TransientPeerError, match="did not answer"):
            client.search()
    finally:
        time.sleep(0.8)
        peer.heal()


def test_connection_refused_is_transient():
    client = openspp.DciClient("http://127.0.0.1:9", "a", "b", retries=0)
    with pytest.raises(TransientPeerError, match="unreachable"):
        client.search()


def test_server_pagination_and_idtype_value_are_used_when_offered():
    config = {"DCI_PAGINATION": True, "DCI_QUERY_TYPES": ["predicate", "idtype-value"]}
    with live_peer(create_app, config) as peer:
        client = client_for(peer, page_size=100, id_query="idtype-value")
        everyone = client.search(page_size=10)
        assert everyone.total == 1000 - facts(peer)["without_ids"]  # 10 server pages of 100 were followed
        found = client.search(openspp_id="National ID:NP-1990011503")
        assert [p.birthdate.isoformat() for p in found.items] == ["1990-01-15"]
        assert seed.PLANTED["same_name"] == (16, 17)


def test_a_registrys_err_acknowledgement_is_shown_with_its_code_and_message():
    """OpenSPP 2 refuses an unsigned envelope with an ERR acknowledgement (spp_dci_server verify_dci_signature)."""
    with live_peer(create_app, {"DCI_REQUIRE_SIGNATURE": True}) as peer:
        with pytest.raises(PermanentPeerError) as raised:
            client_for(peer).search()
    assert str(raised.value) == ("openSPP answered the search with error err.signature.missing (HTTP 401): "
                                 "Missing signature in envelope")
    assert (raised.value.status, raised.value.code) == (401, "err.signature.missing")


@pytest.mark.parametrize("call", [lambda c: c.search(), lambda c: c.get("National ID:NP-1984031201")],
                         ids=["list", "by-id"])
def test_an_answer_in_openimis_shape_fails_loudly_instead_of_finding_nobody(call):
    """openIMIS's DCI module answers `search_response[].registry_data.data[]` (api_dci create_response)."""
    with live_peer(create_app, {"DCI_ANSWER_SHAPE": "openimis"}) as peer:
        with pytest.raises(PermanentPeerError, match=r"expected message\.search_response\[0\]\.data\.reg_records"
                                                     r"\[\], found message\.search_response\[0\] \{.*registry_data"):
            call(client_for(peer))
