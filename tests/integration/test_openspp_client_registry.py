"""The openSPP client in registry REST mode against the sandbox over real HTTP."""

import pytest

from portal.clients import openspp
from portal.clients.errors import PermanentPeerError, TransientPeerError
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


@pytest.fixture(scope="module")
def fixed_peer():
    with live_peer(create_app, {"G2P_QUIRKS": False}) as peer:
        yield peer


def client_for(peer, **kwargs):
    return openspp.RegistryClient(peer.url, **{"timeout": 2, "retry_delays": (0, 0), **kwargs})


def test_from_config_chooses_registry(peer):
    client = openspp.from_config({"PORTAL_OPENSPP_URL": peer.url, "PORTAL_OPENSPP_API": "registry"})
    assert isinstance(client, openspp.RegistryClient)


def test_from_config_refuses_an_unknown_api():
    with pytest.raises(ValueError, match="PORTAL_OPENSPP_API"):
        openspp.from_config({"PORTAL_OPENSPP_URL": "http://x", "PORTAL_OPENSPP_API": "soap"})


def test_get_by_partner_id(peer):
    person = client_for(peer).get(seed.PLANTED["complete"])
    assert person.openspp_id == "12" and person.name == "SHRESTHA, SITA KUMARI"
    assert person.birthdate is None and person.sex is None  # the response model's validator bug


def test_get_without_the_quirks_has_every_field(fixed_peer):
    person = client_for(fixed_peer).get("12")
    assert person.birthdate.isoformat() == "1984-03-12" and person.sex == "female"
    assert person.identifiers[0].value == "NP-1984031201" and person.phones[0] == "+9779841234567"


@pytest.mark.parametrize("openspp_id", ["999999", str(seed.PLANTED["group"]), "abc"],
                         ids=["unknown", "household", "not-a-number"])
def test_unknown_ids_are_none(peer, openspp_id):
    assert client_for(peer).get(openspp_id) is None


def test_search_by_name_is_case_sensitive_on_the_server(peer):
    client = client_for(peer)
    found = client.search(name="GURUNG, MAYA")
    assert {"16", "17"} <= {p.openspp_id for p in found.items}
    assert client.search(name="Gurung, Maya").total == 0  # openSPP's 400 "did not match" is an empty result


def test_rest_created_names_keep_their_case(peer):
    client = client_for(peer)
    assert "21" in {p.openspp_id for p in client.search(name="José Muñoz", page_size=100).items}
    assert "21" not in {p.openspp_id for p in client.search(name="MUÑOZ, JOSÉ", page_size=100).items}


def test_search_all_and_sort_by_registration_date(peer):
    page = client_for(peer).search(page=3, page_size=50, sort="-registration_date")
    assert page.total == 1000 and len(page.items) == 50
    dates = [p.registration_date for p in page.items]
    assert dates == sorted(dates, reverse=True)


def test_search_by_id(peer):
    assert [p.openspp_id for p in client_for(peer).search(openspp_id="19").items] == ["19"]


def test_server_error_is_transient_after_retries(peer):
    peer.fail(502, path="/api/v1/registry")
    try:
        with pytest.raises(TransientPeerError):
            client_for(peer).get("12")
    finally:
        peer.heal()


def test_other_4xx_is_permanent(peer):
    peer.fail(403, count=1, path="/api/v1/registry")
    try:
        with pytest.raises(PermanentPeerError) as raised:
            client_for(peer).get("12")
        assert raised.value.status == 403
    finally:
        peer.heal()
