"""MOSIP client against the sandbox over real HTTP: token caching and renewal, error classes."""

from pathlib import Path

import pytest

from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.clients.mosip import MosipClient, from_config
from portal_sandbox.mosip import create_app
from tests.peers import live_peer

KEY = Path(__file__).parents[2] / "portal_sandbox" / "mosip" / "demo-partner-key.pem"


@pytest.fixture
def mosip():
    with live_peer(create_app, {"AUTO_PROCESS": False}) as peer:
        yield peer


def client_for(peer, secret="opencrvs-partner-secret", **kwargs):
    return MosipClient(peer.url, "opencrvs-partner", secret, timeout=2.0, **kwargs)


def logins(peer):
    return peer.app.extensions["mosip_state"]._token_counter


def test_the_token_is_cached_across_calls(mosip):
    client = client_for(mosip)
    client.generate_rid("10001", "10004")
    client.generate_rid("10001", "10004")
    client.id_schema()
    assert logins(mosip) == 1


def test_a_401_renews_the_token_once_and_the_call_succeeds(mosip):
    client = client_for(mosip)
    client.generate_rid("10001", "10004")
    mosip.app.extensions["mosip_state"].expire_tokens()
    assert len(client.generate_rid("10001", "10004")) == 29
    assert logins(mosip) == 2


def test_a_token_near_its_expiry_is_renewed_before_use():
    with live_peer(create_app, {"AUTO_PROCESS": False, "TOKEN_TTL": 20}) as peer:
        client = client_for(peer, token_skew=30)  # every token is already inside the renewal window
        client.generate_rid("10001", "10004")
        client.generate_rid("10001", "10004")
        assert logins(peer) == 2


def test_wrong_secret_is_permanent_not_transient(mosip):
    with pytest.raises(PermanentPeerError) as info:
        client_for(mosip, secret="wrong").generate_rid("10001", "10004")
    assert info.value.code == "AUTH"


def test_a_5xx_is_transient(mosip):
    client = client_for(mosip)
    client.token()
    mosip.fail(503, count=1, path="/v1/ridgenerator")
    with pytest.raises(TransientPeerError):
        client.generate_rid("10001", "10004")
    assert len(client.generate_rid("10001", "10004")) == 29


def test_a_timeout_is_transient(mosip):
    client = MosipClient(mosip.url, "opencrvs-partner", "opencrvs-partner-secret", timeout=0.3)
    client.token()
    mosip.slow(1.0, count=1, path="/v1/ridgenerator")
    with pytest.raises(TransientPeerError):
        client.generate_rid("10001", "10004")


def test_an_unreachable_peer_is_transient():
    client = MosipClient("http://127.0.0.1:9", "c", "s", timeout=0.5)
    with pytest.raises(TransientPeerError):
        client.generate_rid("10001", "10004")


def test_a_role_the_client_lacks_is_permanent(mosip):
    client = MosipClient(mosip.url, "mosip-readonly-client", "readonly-secret", timeout=2.0)
    with pytest.raises(PermanentPeerError) as info:
        client.create_workflow_instance("10001100040000120250101000000", "CRVS_NEW", "OPENCRVS")
    assert info.value.status == 403


def test_from_config_reads_the_portal_settings(mosip):
    client = from_config({"PORTAL_MOSIP_URL": mosip.url, "PORTAL_MOSIP_CLIENT_ID": "opencrvs-partner",
                          "PORTAL_MOSIP_SECRET": "opencrvs-partner-secret", "PORTAL_MOSIP_APP_ID": "regproc",
                          "PORTAL_MOSIP_PARTNER_KEY": str(KEY)})
    assert client.partner_key is not None and client.websub_url == f"{mosip.url}/hub"
    assert len(client.generate_rid("10001", "10004")) == 29


def test_calls_are_paced_per_mosip(mosip):
    import threading
    import time

    client = MosipClient(mosip.url, "opencrvs-partner", "opencrvs-partner-secret", timeout=5.0, concurrency=1)
    other = MosipClient(mosip.url, "opencrvs-partner", "opencrvs-partner-secret", timeout=5.0, concurrency=1)
    client.token(), other.token()
    mosip.slow(0.4, count=2, path="/v1/ridgenerator")
    started = time.perf_counter()
    threads = [threading.Thread(target=c.generate_rid, args=("10001", "10004")) for c in (client, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.perf_counter() - started >= 0.8  # one call in flight at a time, shared by both clients
