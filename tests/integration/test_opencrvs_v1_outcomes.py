"""OpenCRVS 1.x gets back only what its country config's `mosipMediatorHandler` processes: a birth's UIN token
and AID under its BRN. A death or an error it cannot take is never sent (a body it would throw on, or ignore),
and its 500 (the handler threw: no birth has that BRN) ends as a clear failure instead of being retried."""

import pytest

from portal.clients import opencrvs
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal_sandbox.opencrvs import create_app
from tests.peers import live_peer

AID = "10001100010000120250101000000"
TOKEN = "257803821990055124230310596669133515"


@pytest.fixture
def peer():
    with live_peer(create_app) as live:
        yield live


def client_for(peer):
    return opencrvs.from_config({
        "PORTAL_OPENCRVS_URL": peer.url, "PORTAL_OPENCRVS_WEBHOOK_SECRET": "demo-opencrvs-webhook-secret",
        "PORTAL_OPENCRVS_CLIENT_ID": "interop-portal", "PORTAL_OPENCRVS_CLIENT_SECRET": "demo-opencrvs-client-secret",
        "PORTAL_OPENCRVS_TIMEOUT": 2, "PORTAL_OPENCRVS_GENERATION": "v1"})


def emitted(peer, kind):
    return peer.app.test_client().post("/_sandbox/emit", json={"kind": kind}).json["records"][0]["registration_number"]


def mediator_calls(peer):
    return [r for r in peer.app.extensions["opencrvs"].received if r["route"] == "mosip-openhim-mediator"]


def test_a_birth_goes_back_as_the_token_and_aid_under_its_brn(peer):
    number = emitted(peer, "birth")

    client_for(peer).send_outcome(opencrvs.Outcome(kind="birth", registration_number=number, mosip_aid=AID,
                                                   uin_token=TOKEN))

    [call] = mediator_calls(peer)
    assert call["body"] == {"BRN": number, "MOSIP_PSUT_TOKEN_ID": TOKEN, "MOSIP_AID": AID}
    assert call["status"] == 200


UNSENDABLE = [
    ("death", lambda number: opencrvs.Outcome(kind="death", registration_number=number, mosip_aid=AID,
                                              comment="NID deactivated"), "death", "OPENCRVS_V1_NO_DEATHS"),
    ("rejected death", lambda number: opencrvs.Outcome(kind="death", registration_number=number, mosip_aid=AID,
                                                       error_code="REJECTED", error_message="MOSIP said no"),
     "death", "OPENCRVS_V1_NO_DEATHS"),
    ("rejected birth", lambda number: opencrvs.Outcome(kind="birth", registration_number=number, mosip_aid=AID,
                                                       error_code="REJECTED", error_message="MOSIP said no"),
     "birth", "OPENCRVS_V1_NO_ERRORS"),
]


@pytest.mark.parametrize("make_outcome, kind, code", [u[1:] for u in UNSENDABLE], ids=[u[0] for u in UNSENDABLE])
def test_what_the_country_config_cannot_take_is_not_sent_and_says_why(peer, make_outcome, kind, code):
    outcome = make_outcome(emitted(peer, kind))

    with pytest.raises(opencrvs.OutcomeNotSentError) as caught:
        client_for(peer).send_outcome(outcome)

    assert caught.value.permanent and caught.value.code == code
    assert "mosipMediatorHandler" in str(caught.value) and "nothing was sent" in str(caught.value)
    assert mediator_calls(peer) == []


def test_a_500_from_the_country_config_is_a_clear_permanent_failure(peer):
    # No birth has this BRN: the real handler throws "Person cannot be found", Hapi answers 500.
    with pytest.raises(PermanentPeerError) as caught:
        client_for(peer).send_outcome(opencrvs.Outcome(kind="birth", registration_number="2025BNOSUCH", mosip_aid=AID,
                                                       uin_token=TOKEN))

    assert not isinstance(caught.value, TransientPeerError)
    assert caught.value.status == 500 and caught.value.code == "OPENCRVS_MEDIATOR_THREW"
    assert "BRN" in str(caught.value)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_in_front_of_the_country_config_is_retried(peer, status):
    peer.fail(status, count=1, path="/mosip-openhim-mediator")

    with pytest.raises(TransientPeerError):
        client_for(peer).send_outcome(opencrvs.Outcome(kind="birth", registration_number=emitted(peer, "birth"),
                                                       uin_token=TOKEN))
