"""Peer health: probed in the background, shown as a strip to the staff whose work needs the peer."""

from portal_sandbox.openimis import create_app as create_openimis
from tests.peers import free_port, live_peer

from portal.health import peers
from portal.extensions import db


def test_an_unreachable_peer_shows_a_strip_to_the_officer(make_app, login_as):
    dead_url = f"http://127.0.0.1:{free_port()}"
    with live_peer(create_openimis) as openimis:
        app = make_app({"PORTAL_OPENIMIS_URL": openimis.url, "PORTAL_ESIGNET_ISSUER": dead_url,
                        "PORTAL_OPENSPP_URL": None, "PORTAL_MOSIP_URL": None, "PORTAL_OPENCRVS_URL": None})
        with app.app_context():
            peers.check_all()
            statuses = {row.name: row.reachable for row in peers.PeerStatus.query.all()}
        assert statuses == {"esignet": False, "openimis": True}
    officer = app.test_client()
    login_as(officer, "officer")
    assert "eSignet unreachable since" in officer.get("/").data.decode()
    social = app.test_client()
    login_as(social, "social")
    assert "unreachable" not in social.get("/").data.decode()


def test_a_peer_answering_5xx_counts_as_unreachable_until_it_recovers(make_app):
    with live_peer(create_openimis) as openimis:
        app = make_app({"PORTAL_OPENIMIS_URL": openimis.url, "PORTAL_ESIGNET_ISSUER": None,
                        "PORTAL_OPENSPP_URL": None, "PORTAL_MOSIP_URL": None, "PORTAL_OPENCRVS_URL": None})
        openimis.fail(503)
        with app.app_context():
            peers.check_all()
            down = db.session.get(peers.PeerStatus, "openimis")
            assert down.reachable is False and down.down_since is not None
            openimis.heal()
            peers.check_all()
            assert db.session.get(peers.PeerStatus, "openimis").down_since is None
