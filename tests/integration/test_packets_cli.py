"""`flask --app portal packets subscribe`: WebSub at MOSIP (intent verified, renewal scheduled) and
webhooks at OpenCRVS (challenge answered), against the sandboxes over real HTTP."""

from contextlib import ExitStack

import httpx
import pytest

from portal.jobs import Job
from portal.packets.models import Subscription
from tests.integration.packets_support import open_world


@pytest.fixture
def world(make_app):
    with ExitStack() as stack:
        yield open_world(stack, make_app)


def test_subscribe_at_both_peers(world):
    result = world.app.test_cli_runner().invoke(args=["packets", "subscribe"])
    assert result.exit_code == 0, result.output
    assert "MOSIP: subscription to opencrvs-partner/CREDENTIAL_ISSUED requested" in result.output
    assert "OpenCRVS: subscribed to BIRTH_REGISTERED, DEATH_REGISTERED" in result.output
    world.wait(lambda: Subscription.query.filter_by(peer="mosip", status="active").first())
    with world.app.app_context():
        rows = {(r.peer, r.topic): r.status for r in Subscription.query.all()}
        assert rows == {("mosip", "opencrvs-partner/CREDENTIAL_ISSUED"): "active",
                        ("opencrvs", "BIRTH_REGISTERED"): "active", ("opencrvs", "DEATH_REGISTERED"): "active"}
        renewal = Job.query.filter_by(kind="mosip.subscribe").one()
        assert renewal.payload == {"renew": True} and renewal.status == "queued"
    crvs = httpx.get(f"{world.crvs.url}/_sandbox/subscriptions").json()["subscriptions"]
    assert sorted(s["topic"] for s in crvs) == ["BIRTH_REGISTERED", "DEATH_REGISTERED"]
    again = world.app.test_cli_runner().invoke(args=["packets", "subscribe", "--no-mosip"])
    assert "nothing new" in again.output
    listing = world.app.test_cli_runner().invoke(args=["packets", "subscriptions"])
    assert "opencrvs-partner/CREDENTIAL_ISSUED" in listing.output


def test_a_renewal_resubscribes_before_the_lease_ends(world):
    world.app.test_cli_runner().invoke(args=["packets", "subscribe", "--no-opencrvs"])
    world.wait(lambda: Subscription.query.filter_by(peer="mosip", status="active").first())
    from portal.packets.handlers import subscribe_websub

    with world.app.app_context():
        subscribe_websub(renew=True)
    world.wait(lambda: len(world.mosip_state()["hub"]["verifications"]) >= 3)
    modes = [v["mode"] for v in world.mosip_state()["hub"]["verifications"]]
    assert modes == ["subscribe", "unsubscribe", "subscribe"]
    world.wait(lambda: Subscription.query.filter_by(peer="mosip", status="active").first())
    assert len([s for s in world.mosip_state()["hub"]["subscriptions"] if s["active"]]) == 1


def test_a_refused_mosip_subscription_fails_the_command(make_app):
    with ExitStack() as stack:
        world = open_world(stack, make_app, portal_config={"PORTAL_MOSIP_PARTNER_ID": "someone-else"})
        result = world.app.test_cli_runner().invoke(args=["packets", "subscribe", "--no-opencrvs"])
        assert result.exit_code == 1 and "not authorized" in result.output
