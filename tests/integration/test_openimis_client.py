"""OpenImisClient against the sandbox openIMIS over real HTTP (tests/peers.live_peer)."""

from datetime import date

import httpx
import pytest

from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.clients.openimis import Insuree
from portal_sandbox.openimis import create_app
from tests.fakes.openimis import OpenImisClient
from tests.peers import live_peer


@pytest.fixture(scope="module")
def peer():
    with live_peer(create_app, {"MUTATION_DELAY": 0.05}) as running:
        yield running


@pytest.fixture
def client(peer):
    peer.heal()
    with OpenImisClient(peer.url, "Admin", "admin123", 5, insuree_number_length=10,
                        insuree_number_modulo=10) as made:
        made.poll_interval = 0.1
        yield made


def person(client, **changes):
    values = dict(last_name="Mollel", other_names="Rehema", gender_id="F", dob=date(1994, 8, 21),
                  chf_id=client.generate_insuree_number(), passport=f"NID-{client.generate_insuree_number()}",
                  type_of_id="N", current_village_id=4, marital="S", json_ext={"source": "test"})
    values.update(changes)
    return Insuree(**values)


def sandbox_rows(peer, route, **params):
    return httpx.get(f"{peer.url}/_sandbox/{route}", params=params).json()


def test_register_family_then_find_it_every_way(client, peer):
    head = person(client)
    client.create_family(head, client_mutation_id="it-reg-1", location_id=4, json_ext={"registration": 1})
    assert client.wait_for_mutation("it-reg-1").ok
    family = client.find_family_by_mutation("it-reg-1")
    assert family.head_chf_id == head.chf_id and family.location_id == 4
    found = client.find_insuree(head.chf_id)
    assert ((found.last_name, found.dob, found.type_of_id, found.json_ext)
            == ("Mollel", head.dob, "N", {"source": "test"}))
    assert found.family_id == family.id and found.head
    assert [i.chf_id for i in client.find_insurees_by_identification(head.passport, "N")] == [head.chf_id]
    assert client.find_insurees_by_identification(head.passport, "P") == []
    assert client.find_family(head.chf_id).uuid == family.uuid


def test_member_joins_existing_family(client):
    family = client.find_family("1000000032")
    member = person(client, other_names="Baraka", gender_id="M", relationship_id=4)
    client.create_insuree(member, family_id=family.id, client_mutation_id="it-member-1")
    client.wait_for_mutation("it-member-1")
    created = client.find_insuree_by_mutation("it-member-1")
    assert created.family_uuid == family.uuid and not created.head and created.relationship_id == 4


def test_enrolment_with_policy(client):
    head = person(client)
    client.create_family(head, client_mutation_id="it-enr-1", location_id=10, poverty=True)
    client.wait_for_mutation("it-enr-1")
    family = client.find_family_by_mutation("it-enr-1")
    product = next(p for p in client.products() if p.code == "SPC0001")
    officer = client.officers()[0]
    client.create_policy(family_id=family.id, product_id=product.id, officer_id=officer.id,
                         enroll_date=date(2025, 2, 1), client_mutation_id="it-enr-1:policy")
    assert client.wait_for_mutation("it-enr-1:policy").ok
    (policy,) = client.policies_of_family(family.uuid)
    assert (policy.product_code, policy.officer_code, policy.status_label) == ("SPC0001", officer.code, "idle")
    assert (policy.start_date, policy.expiry_date) == (date(2025, 2, 1), date(2026, 1, 31))
    # a retried job does not create a second policy
    client.create_policy(family_id=family.id, product_id=product.id, officer_id=officer.id,
                         enroll_date=date(2025, 2, 1), client_mutation_id="it-enr-1:policy")
    assert len(client.policies_of_family(family)) == 1


def test_code_lists(client):
    assert [g.code for g in client.genders()] == ["M", "F", "O"]
    assert {"N", "W", "S", "D", "M"} == {m.code for m in client.marital_statuses()}
    assert ("4", "Others") in [(p.code, p.label) for p in client.professions()]
    assert ("1", "Nursery") in [(e.code, e.label) for e in client.educations()]
    assert ("N", "National ID") in [(t.code, t.label) for t in client.identification_types()]
    assert "Tahida / Rajo / Jamu / Rachla" in [v.label for v in client.villages()]
    assert {loc.type for loc in client.locations()} == {"R", "D", "W", "V"}
    assert [p.code for p in client.products(location_id=10)] == ["BCP0001", "SPC0001"]
    assert [o.code for o in client.officers()] == ["E00001", "E00002"]


def test_validation_error_is_permanent_with_plain_text(client):
    taken = person(client, chf_id="1000000016")  # a seeded insuree has this number
    client.create_family(taken, client_mutation_id="it-dup-1", location_id=4)
    with pytest.raises(PermanentPeerError) as caught:
        client.wait_for_mutation("it-dup-1")
    assert str(caught.value) == ("The insurance number is not valid in openIMIS "
                                 "(already used, wrong length or wrong check digit)")
    assert caught.value.permanent
    bad_gender = person(client, gender_id="X")
    client.create_family(bad_gender, client_mutation_id="it-gender-1", location_id=4)
    result = client.wait_for_mutation("it-gender-1", raise_on_error=False)
    assert result.error == "openIMIS does not know the value 'X' for Gender"


def test_openimis_down_then_up_creates_once(client, peer):
    head = person(client)
    peer.fail(503, path="/api/")
    with pytest.raises(TransientPeerError):
        client.create_family(head, client_mutation_id="it-down-1", location_id=4)
    with pytest.raises(TransientPeerError):
        client.create_family(head, client_mutation_id="it-down-1", location_id=4)
    peer.heal()
    client.create_family(head, client_mutation_id="it-down-1", location_id=4)
    assert client.wait_for_mutation("it-down-1").ok
    assert len(sandbox_rows(peer, "insurees", chf_id=head.chf_id)) == 1
    assert len(sandbox_rows(peer, "mutations", client_mutation_id="it-down-1")) == 1


def test_lost_reply_then_retry_is_not_sent_twice(client, peer):
    head = person(client)
    client.create_family(head, client_mutation_id="it-lost-1", location_id=4)  # reply "lost": the job retries
    client.create_family(head, client_mutation_id="it-lost-1", location_id=4)
    client.wait_for_mutation("it-lost-1")
    client.create_family(head, client_mutation_id="it-lost-1", location_id=4)
    assert len(sandbox_rows(peer, "mutations", client_mutation_id="it-lost-1")) == 1
    assert len(sandbox_rows(peer, "insurees", chf_id=head.chf_id)) == 1


def test_blind_resend_is_refused_by_openimis_and_still_reads_as_success(client, peer):
    """What real openIMIS does with a repeated clientMutationId: one more log and one more run."""
    head = person(client)
    client.create_family(head, client_mutation_id="it-twice-1", location_id=4, check_existing=False)
    client.wait_for_mutation("it-twice-1")
    client.create_family(head, client_mutation_id="it-twice-1", location_id=4, check_existing=False)
    logs = sandbox_rows(peer, "mutations", client_mutation_id="it-twice-1")
    assert len(logs) == 2
    result = client.wait_for_mutation("it-twice-1")
    assert result.ok and result.attempts == 2
    assert len(sandbox_rows(peer, "insurees", chf_id=head.chf_id)) == 1


def test_timeout_is_transient(peer):
    slow = OpenImisClient(peer.url, "Admin", "admin123", timeout=0.3)
    peer.slow(1.0, count=1, path="/api/api_fhir_r4/login/")
    with pytest.raises(TransientPeerError):
        slow.genders()


def test_stale_token_is_renewed(client):
    client.find_insuree("1000000016")
    client._token = client._token[:-4] + "AAAA"  # the server no longer accepts it: HTTP 401
    assert client.find_insuree("1000000016").last_name == "Juma"


def test_wrong_password_is_permanent(peer):
    with pytest.raises(PermanentPeerError) as caught:
        OpenImisClient(peer.url, "Admin", "wrong", 5).find_insuree("1000000016")
    assert caught.value.status == 401


def test_account_without_permission(peer):
    clerk = OpenImisClient(peer.url, "Clerk", "clerk123", 5)
    assert clerk.find_insuree("1000000016").chf_id == "1000000016"  # may read insurees
    with pytest.raises(PermanentPeerError) as caught:
        clerk.products()
    assert caught.value.code == "unauthorized"


def test_number_checks(client):
    assert client.validate_insuree_number("1000000016") is None
    assert client.check_insuree_number("1000000016") is None  # openIMIS' own check ignores uniqueness
    assert client.check_insuree_number("1000000017") == "Invalid checksum"
    assert client.validate_insuree_number("1000000017") == "Invalid checksum"


def test_health(client, peer):
    assert client.health()
    peer.fail(503, count=1, path="/api/graphql")
    assert not client.health()
