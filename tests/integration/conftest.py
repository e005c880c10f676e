"""Fixtures the integration tests share: live sandbox eSignet and openIMIS, the portal pointed at them, and a
signed-in enrollment officer (the helpers they use are in registration_support.py)."""

import httpx
import pytest

from tests.integration.registration_support import esignet_peer, openimis_peer, portal_config, portal_key_file


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    return portal_key_file(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def esignet_live(key_file):
    with esignet_peer(key_file) as peer:
        yield peer


@pytest.fixture(autouse=False)
def esignet_clean(esignet_live):
    yield esignet_live
    esignet_live.heal()
    httpx.post(f"{esignet_live.url}/_sandbox/misbehave", json={"mode": "clear"})


@pytest.fixture(scope="module")
def openimis_live():
    """Shared by a module's tests: use different individuals where openIMIS's state matters."""
    with openimis_peer() as peer:
        yield peer


@pytest.fixture
def portal(make_app, esignet_clean, openimis_live, key_file):
    return make_app(portal_config(esignet_clean.url, openimis_live.url, key_file))


@pytest.fixture
def officer(portal, login_as):
    client = portal.test_client()
    login_as(client, "officer", username="ana")
    return client
