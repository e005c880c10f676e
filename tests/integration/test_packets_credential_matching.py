"""A MOSIP credential finds its packet by whatever the deployment names it with (RID, OpenCRVS registration
number as `opencrvsBRN` or `opencrvsId`, the v1.9 subject's `birthCertificateNumber`); one that names no known
packet is kept, listed for supervisors (English and French) and matched again when its packet arrives.

Shapes from the peers' code: MOSIP's OpenCRVS stage (mosip/mosip-opencrvs `OpencrvsStage`, HEAD d5a6b23b) asks
for the VID's credential with `additionalData.opencrvsBRN`, which MOSIP's credential service publishes in
`event.data` (mosip/id-repository `CredentialStoreServiceImpl.getEventModel`, HEAD ebc79bf6), no RID anywhere.
"""

import html
import itertools
import json
from pathlib import Path

import pytest

from portal.clients.mosip import parse_credential_event
from portal.extensions import db
from portal.jobs import Job
from portal.packets import handlers
from portal.packets.models import InboundEvent, Packet, PacketEvent
from portal.packets.pipeline import accept_websub_event
from tests.fakes.mosip_crypto import encrypt_ver_r2

ROOT = Path(__file__).parents[2]
CERT = (ROOT / "portal_sandbox" / "mosip" / "demo-partner-cert.pem").read_bytes()
KEY = ROOT / "portal_sandbox" / "mosip" / "demo-partner-key.pem"
RID = "10001100040000120250101000000"
BRN = "2022B60QW1Y"
UIN, VID = "2784528096", "8031687218402171"
RECORD = "7fc04a24-cf8e-41b3-a63b-fdae03269026"
FR, EN = {"Accept-Language": "fr"}, {"Accept-Language": "en"}
SERIAL = itertools.count(1)  # distinct event keys across the tests


@pytest.fixture
def app(make_app):
    # RETURN_ID=uin: the UIN goes back as it is, so no key manager call is needed here
    return make_app({"PORTAL_MOSIP_URL": "http://127.0.0.1:9", "PORTAL_MOSIP_PARTNER_KEY": str(KEY),
                     "PORTAL_MOSIP_RETURN_ID": "uin", "PORTAL_PACKETS_POLL_BASE": 0})


def add_packet(app, **values):
    n = next(SERIAL)
    fields = dict(kind="birth", event_key=f"BIRTH_REGISTERED:r{n}",
                  topic="BIRTH_REGISTERED", source="webhook", state="processing", process="CRVS_NEW",
                  mosip_source="OPENCRVS", tracking_id="B60QW1Y", registration_number=BRN, rid=RID)
    fields.update(values)
    with app.app_context():
        packet = Packet(**fields)
        db.session.add(packet)
        db.session.commit()
        return packet.id


def deliver(app, subject=None, event_id="ev-1", **data):
    """Store a CREDENTIAL_ISSUED (as POST /api/mosip/websub does) and run its job; returns the inbound id."""
    subject = subject or {"id": VID, "UIN": UIN}  # the OpenCRVS stage's credential: subject id = the VID
    encrypted = encrypt_ver_r2(json.dumps({"credentialSubject": subject}).encode(), CERT)
    payload = {"publisher": "CREDENTIAL_SERVICE", "topic": "opencrvs-partner/CREDENTIAL_ISSUED",
               "publishedOn": "2024-03-14T10:00:00.000Z",
               "event": {"id": event_id, "transactionId": "req-1", "type": {"namespace": "mosip", "name": "mosip"},
                         "timestamp": "2024-03-14T10:00:00.000Z", "dataShareUri": None,
                         "data": {"credential": encrypted,
                                  "proof": {"signature": "s"}, "credentialType": "opencrvs", "protectionKey": "123456",
                                  **data}}}
    with app.app_context():
        inbound, _ = accept_websub_event(parse_credential_event(payload), payload)
        handlers.receive_credential({"inbound_id": inbound.id, "job_key": f"mosip.credential:{inbound.id}"})
        return inbound.id


def inbound_row(app, inbound_id):
    with app.app_context():
        row = db.session.get(InboundEvent, inbound_id)
        db.session.expunge(row)
        return row


def packet_row(app, packet_id):
    with app.app_context():
        packet = db.session.get(Packet, packet_id)
        details = [e.detail for e in db.session.query(PacketEvent).filter_by(packet_id=packet_id)]
        return packet.state, packet.uin_token, details


@pytest.mark.parametrize("packet,data,subject,found_by", [
    ({}, {"opencrvsBRN": BRN}, None, "the registration number"),
    ({}, {"opencrvsBRN": BRN.lower()}, None, "the registration number"),
    ({}, {"opencrvsId": BRN}, None, "the OpenCRVS id"),
    ({"event_key": f"BIRTH_REGISTERED:{RECORD}"}, {"opencrvsId": RECORD}, None, "the OpenCRVS id"),
    ({"rid": "100010033575073"}, {}, {"id": "http://credential.idrepo/credentials/" + VID, "VID": VID, "UIN": UIN,
                                       "birthCertificateNumber": BRN}, "the registration number"),
    ({}, {"registrationId": RID}, None, None),
], ids=["stage-opencrvsBRN", "lower-case-number", "stage-2022-opencrvsId", "opencrvsId-is-the-record-id",
        "subject-birthCertificateNumber", "rid"])
def test_a_credential_finds_its_packet_by_what_it_names(app, packet, data, subject, found_by):
    packet_id = add_packet(app, **packet)
    inbound_id = deliver(app, subject=subject, **data)

    state, token, details = packet_row(app, packet_id)
    assert (state, token) == ("uin_issued", UIN)
    issued = details[-1]
    assert "WebSub credential" in issued
    assert (f"found by {found_by}" in issued) if found_by else ("found by" not in issued)
    row = inbound_row(app, inbound_id)
    assert (row.status, row.packet_id) == ("processed", packet_id)


def test_the_rid_wins_over_the_registration_number(app):
    by_rid = add_packet(app)
    by_number = add_packet(app, rid="10001100040000220250101000000", registration_number="2022OTHER01")
    deliver(app, registrationId=RID, opencrvsBRN="2022OTHER01")
    assert packet_row(app, by_rid)[0] == "uin_issued"
    assert packet_row(app, by_number)[0] == "processing"


def test_among_packets_sharing_a_number_the_one_waiting_for_its_credential_gets_it(app):
    done = add_packet(app, state="notified", uin_token="t")
    waiting = add_packet(app, rid="10001100040000220250101000000", topic="BIRTH_CORRECTED", process="CRVS_UPDATE")
    deliver(app, opencrvsBRN=BRN)
    assert packet_row(app, waiting)[0] == "uin_issued"
    assert packet_row(app, done)[0] == "notified"


def test_a_credential_for_no_known_packet_is_kept_then_matched_when_its_packet_arrives(app):
    inbound_id = deliver(app, opencrvsBRN=BRN)

    row = inbound_row(app, inbound_id)
    assert row.status == "unmatched" and row.packet_id is None
    assert row.detail == f"credential received for no known packet (looked for registration number {BRN})"
    assert row.match_keys["registration_number"] == [BRN]
    assert UIN not in json.dumps(row.match_keys)  # a digest of the UIN, never the UIN
    with app.app_context():
        retry = Job.query.filter_by(kind="mosip.credential_match").one()
        assert retry.status == "queued" and retry.payload == {"inbound_id": inbound_id, "round": 0}

    packet_id = add_packet(app)
    with app.app_context():
        handlers.match_credential(retry.payload)
        again = Job.query.filter_by(kind="mosip.credential", key=f"mosip.credential:{inbound_id}:match0").one()
        handlers.receive_credential(again.payload)

    assert packet_row(app, packet_id)[:2] == ("uin_issued", UIN)
    row = inbound_row(app, inbound_id)
    assert (row.status, row.packet_id) == ("processed", packet_id)


def test_a_credential_still_unmatched_after_the_last_round_stays_kept(make_app):
    app = make_app({"PORTAL_MOSIP_URL": "http://127.0.0.1:9", "PORTAL_MOSIP_PARTNER_KEY": str(KEY),
                    "PORTAL_PACKETS_POLL_BASE": 0, "PORTAL_PACKETS_POLL_MAX": 1})
    inbound_id = deliver(app, opencrvsBRN=BRN)
    with app.app_context():
        handlers.match_credential({"inbound_id": inbound_id, "round": 0})
        assert Job.query.filter_by(kind="mosip.credential_match").count() == 1  # no further round
    row = inbound_row(app, inbound_id)
    assert row.status == "unmatched" and "no longer looked for" in row.detail


def test_supervisors_see_credentials_received_for_no_known_packet(app, login_as):
    deliver(app, opencrvsBRN=BRN)
    client = app.test_client()
    login_as(client, "supervisor")

    english = html.unescape(client.get("/packets/", headers=EN).text)
    french = html.unescape(client.get("/packets/", headers=FR).text)
    panel = html.unescape(client.get("/packets/panels/unmatched", headers=FR).text)

    assert "Credentials received for no known packet" in english and BRN in english
    assert "Justificatifs reçus pour aucun paquet connu" in french and "Numéro d'enregistrement" in french
    assert "Justificatifs reçus pour aucun paquet connu" in panel and BRN in panel
    assert UIN not in english + french and VID not in english + french


def test_with_nothing_unmatched_the_panel_says_so(app, login_as):
    client = app.test_client()
    login_as(client, "supervisor")
    assert "No credential is waiting for its packet." in client.get("/packets/panels/unmatched", headers=EN).text
