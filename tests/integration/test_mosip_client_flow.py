"""The MOSIP client through a whole birth and death against the sandbox over real HTTP: RID, ID schema,
createPacket, workflow instance, status, WebSub credential (inline and data share), UIN token, deactivation."""

import datetime
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from portal.clients import mosip as m
from portal.clients.errors import PermanentPeerError
from portal_sandbox.mosip import create_app
from tests.fakes.mosip import mosip_date, multilingual
from tests.fakes.mosip import MosipClient as MosipTestClient
from tests.peers import live_peer
from tests.sandbox.mosip_support import Receiver, wait_until

KEY = Path(__file__).parents[2] / "portal_sandbox" / "mosip" / "demo-partner-key.pem"
TOPIC = "opencrvs-partner/CREDENTIAL_ISSUED"


@pytest.fixture
def world():
    receiver = Receiver()
    with live_peer(create_app, {"PROCESSING_DELAY": 0.05, "DELIVERY_BACKOFF": 0.05}) as peer, \
            live_peer(lambda _: receiver.app) as sub:
        client = MosipTestClient(peer.url, "opencrvs-partner", "opencrvs-partner-secret", timeout=3.0,
                                 partner_key=m.load_partner_key(KEY))
        yield client, peer, receiver, f"{sub.url}/cb"


def birth_fields(name="Ada Lovelace"):
    return {"IDSchemaVersion": 0.1, "fullName": multilingual(name), "dateOfBirth": mosip_date("2022-08-24"),
            "gender": multilingual("Female"), "addressLine1": multilingual("12 Main Road"),
            "region": multilingual("Central"), "province": multilingual("Ibombo"), "city": multilingual("Isamba"),
            "zone": multilingual("Zone A"), "postalCode": "NA", "birthCertificateNumber": "2022B60QW1Y"}


def send_packet(client, rid, fields, process="CRVS_NEW", brn="2022B60QW1Y", source="CRVS1"):
    # CRVS1: the source a stock MOSIP v1.3.0 registers with CRVS_NEW and CRVS_DEATH (provider.packetwriter.crvs1)
    schema = client.id_schema()
    dto = m.build_packet_dto(rid, process=process, source=source, fields=fields, schema_json=schema.schema_json,
                             schema_version=schema.id_version, ref_id="10001_10004",
                             meta_info=m.build_meta_info(rid, "10001", "10004", extra_labels={"opencrvsBRN": brn}),
                             audits=[m.build_audit(rid, uuid=str(uuid.uuid4()))])
    infos = client.create_packet(dto)
    workflow = client.create_workflow_instance(rid, process, source)
    return infos, workflow


def test_a_birth_gets_a_uin_through_websub_and_a_partner_token(world):
    client, peer, receiver, callback = world
    client.subscribe(TOPIC, callback, "hub-secret", lease_seconds=3600)
    wait_until(lambda: receiver.verifications)
    rid = client.generate_rid("10001", "10004")
    infos, workflow = send_packet(client, rid, birth_fields())
    assert len(infos) == 3 and workflow.workflow_instance_id
    assert client.create_workflow_instance(rid, "CRVS_NEW", "CRVS1").already_present  # a retry is harmless
    wait_until(lambda: client.external_status([rid]).statuses.get(rid) == "UIN_GENERATED", timeout=5)
    assert client.registration_status([rid]).statuses[rid] == "PROCESSED"
    delivery = receiver.wait_for("deliveries")[0]
    assert m.verify_hub_signature("hub-secret", delivery["body"], delivery["signature"])
    event = m.parse_credential_event(delivery["body"])
    credential = client.credential_from_event(event)
    assert credential.registration_id == rid and len(credential.uin) == 10 and len(credential.vid) == 16
    token = client.uin_token(credential.uin, "opencrvs-partner")
    assert len(token) == 36 and token != credential.uin
    assert client.uin_token(credential.uin, "opencrvs-partner", intermediary="mpartner-default-auth") != token


@contextmanager
def one_credential(config):
    """A sandbox MOSIP with `config` issues the credential of one birth: (client, rid, CREDENTIAL_ISSUED event)."""
    receiver = Receiver()
    with live_peer(create_app, {"PROCESSING_DELAY": 0, **config}) as peer, \
            live_peer(lambda _: receiver.app) as sub:
        client = m.MosipClient(peer.url, "opencrvs-partner", "opencrvs-partner-secret", timeout=3.0,
                               partner_key=m.load_partner_key(KEY))
        client.subscribe(TOPIC, f"{sub.url}/cb", "s")
        wait_until(lambda: receiver.verifications)
        rid = client.generate_rid("10001", "10004")
        send_packet(client, rid, birth_fields())
        yield client, rid, m.parse_credential_event(receiver.wait_for("deliveries")[0]["body"])


def test_the_credential_can_come_from_a_data_share():
    with one_credential({"CREDENTIAL_VIA_DATASHARE": True}) as (client, rid, event):
        assert event.credential is None and event.data_share_uri
        assert client.credential_from_event(event).registration_id == rid


def test_protected_attributes_are_decrypted_with_the_events_protection_key():
    with one_credential({"CREDENTIAL_PROTECTED_ATTRIBUTES": ["UIN", "VID"]}) as (client, rid, event):
        pin = event.data["protectionKey"]
        assert len(pin) == 6 and pin.isdigit()
        credential = client.credential_from_event(event)
        assert credential.document["protectedAttributes"] == ["UIN", "VID"]
        assert len(credential.document["credentialSubject"]["UIN"]) > 60  # encrypted as it came
        assert credential.uin.isdigit() and len(credential.uin) == 10 and len(credential.vid) == 16
        assert client.identity_uin(rid) == credential.uin


def test_a_credential_for_another_key_is_a_clear_permanent_error(world):
    client, peer, receiver, callback = world
    from cryptography.hazmat.primitives.asymmetric import rsa

    client.partner_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client.subscribe(TOPIC, callback, "s")
    wait_until(lambda: receiver.verifications)
    send_packet(client, client.generate_rid("10001", "10004"), birth_fields())
    event = m.parse_credential_event(receiver.wait_for("deliveries")[0]["body"])
    with pytest.raises(m.CredentialDecryptionError, match="not encrypted for this partner key"):
        client.credential_from_event(event)


def test_a_rejected_packet_reads_rejected(world):
    client, peer, *_ = world
    rid = client.generate_rid("10001", "10004")
    send_packet(client, rid, birth_fields("REJECT this one"))
    wait_until(lambda: client.external_status([rid]).statuses.get(rid) == "REJECTED", timeout=5)


def test_an_invalid_packet_is_a_permanent_error(world):
    client, *_ = world
    rid = client.generate_rid("10001", "10004")
    fields = birth_fields()
    fields["dateOfBirth"] = "2022-08-24"  # MOSIP wants YYYY/MM/DD
    with pytest.raises(PermanentPeerError) as info:
        send_packet(client, rid, fields)
    assert info.value.code == "PACKET_NOT_CREATED"


def test_unknown_rids_are_listed(world):
    client, *_ = world
    rid = m.build_rid("10001", "10004", 99, datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    assert client.external_status([rid]).not_found == [rid]


def test_a_death_packet_deactivates_the_uin(world):
    client, peer, *_ = world
    rid = client.generate_rid("10001", "10004")
    send_packet(client, rid, {"IDSchemaVersion": 0.1, "fullName": multilingual("Late Person"), "UIN": "4444333322"},
                process="CRVS_DEATH")
    wait_until(lambda: client.external_status([rid]).statuses.get(rid) == "UIN_GENERATED", timeout=5)
    assert peer.app.extensions["mosip_state"].identities["4444333322"]["status"] == "DEACTIVATED"


def test_deactivation_through_the_identity_repository(world):
    client, peer, *_ = world
    assert client.deactivate_uin("1234234233", "10001100040000120250101000000") == "DEACTIVATED"
    with pytest.raises(PermanentPeerError) as info:
        client.deactivate_uin("9999999999", "10001100040000120250101000000")
    assert info.value.code == "IDR-IDC-007"


def test_a_subscription_for_another_partner_is_denied(world):
    client, peer, receiver, callback = world
    with pytest.raises(PermanentPeerError) as info:
        client.subscribe("someone-else/CREDENTIAL_ISSUED", callback, "s")
    assert "not authorized" in str(info.value) and info.value.code == "HUB_DENIED"


def test_unsubscribe(world):
    client, peer, receiver, callback = world
    client.subscribe(TOPIC, callback, "s")
    wait_until(lambda: peer.app.extensions["mosip_state"].hub.subscriptions)
    client.unsubscribe(TOPIC, callback)
    wait_until(lambda: not peer.app.extensions["mosip_state"].hub.subscriptions)
