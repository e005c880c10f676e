"""The officer's whole job against the sandboxes: verify with eSignet (OTP 111111), pre-filled and marked form,
one correction, confirm, the insuree created in openIMIS, CHF ID and audit trail."""

import re

from portal.clients import openimis
import pytest

from tests.integration.registration_support import (audit_actions, confirm, openimis_peer, registration,
    registration_id_of, run_jobs, verify_at_esignet)


@pytest.fixture
def openimis_live():
    with openimis_peer() as peer:  # fresh per test (and per database backend): the insuree is created each time
        yield peer


def test_a_verified_registration_from_esignet_to_openimis(portal, officer, openimis_live):
    back = verify_at_esignet(officer, data={"marital": "S", "phone": "typed before verifying"})
    assert back.status_code == 303
    registration_id = registration_id_of(back)

    page = officer.get(back.headers["Location"]).data.decode()
    for field, claim in (("last_name", "name"), ("other_names", "name"), ("dob", "birthdate"),
                         ("gender", "gender"), ("passport", "individual_id"), ("phone", "phone_number"),
                         ("email", "email"), ("current_address", "address")):
        assert re.search(rf'class="verified" id="{field}-source" data-claim="{claim}"', page), field
    assert 'value="Mansour"' in page and 'value="1987-11-25"' in page
    assert 'src="data:image/jpeg;base64,' in page  # the photo from the picture claim
    assert '<option selected value="S">' in page or 'value="S" selected' in page  # kept from before eSignet

    response = confirm(officer, registration_id, last_name="Mansour-Alaoui")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/registration/{registration_id}")
    progress = officer.get(f"/registration/{registration_id}/progress").data.decode()
    assert 'hx-trigger="every 2s"' in progress and "queued" in progress

    assert run_jobs(portal) == [("openimis.register_insuree", "done", None)]
    progress = officer.get(f"/registration/{registration_id}/progress").data.decode()
    assert "every 2s" not in progress  # polling stops when done
    chf_id = re.search(r'id="chf-id">(\d+)<', progress)[1]

    row = registration(portal, registration_id)
    assert row.status == "done" and row.chf_id == chf_id and row.has_corrections
    assert [(c.field, c.mosip_value, c.entered_value, c.officer) for c in row.corrections] == [
        ("last_name", "Mansour", "Mansour-Alaoui", "ana")]
    assert row.esignet_acr == "mosip:idp:acr:generated-code" and row.esignet_amr == ["OTP"]
    assert row.esignet_sub and row.esignet_auth_time is not None

    actions = [action for action, _ in audit_actions(portal, registration_id)]
    assert actions == ["registration.started", "registration.verification_started", "registration.verified",
                       "registration.corrected", "registration.confirmed", "registration.created"]
    verified = dict(audit_actions(portal, registration_id))["registration.verified"]
    assert "name" in verified["claims"] and "Mansour" not in str(verified)  # claim names, not values

    detail = officer.get(f"/registration/{registration_id}").data.decode()
    assert "Mansour-Alaoui" in detail and "registration.corrected" in detail and 'id="audit"' in detail

    # The insuree is in openIMIS: national id as identification, insurance number by openIMIS's rule.
    client = openimis.OpenImisClient(openimis_live.url, "Admin", "admin123")
    insuree = client.find_insuree(chf_id)
    assert insuree.last_name == "Mansour-Alaoui" and insuree.other_names == "Siddharth K"
    assert insuree.passport == "8267411571" and insuree.type_of_id == "N" and insuree.head
    assert chf_id != "8267411571" and not chf_id.startswith("82674115")
    assert openimis.validate_insuree_number(chf_id, 10, 10) is None
    assert insuree.json_ext["eSignetVerificationDate"] and insuree.json_ext["correctedFields"] == ["last_name"]


def test_french_officer_gets_french_claims(portal, officer):
    officer.post("/language", data={"language": "fr", "next": "/"})
    back = verify_at_esignet(officer, individual_id="2345678901")
    row = registration(portal, registration_id_of(back))
    assert row.verified_values["gender"] == {"value": "F", "claim": "gender#fr"}
    assert row.verified_values["current_address"]["claim"] == "address#fr"
    assert "Sénégal" in row.values["current_address"]


def test_unticked_voluntary_claims_leave_fields_for_the_officer(portal, officer):
    back = verify_at_esignet(officer, individual_id="3456789012", accept="essential")
    row = registration(portal, registration_id_of(back))
    assert set(row.verified_values) == {"last_name", "other_names", "dob", "gender", "passport"}
    assert row.esignet_claims == ["birthdate", "gender", "individual_id", "name"]
    assert row.values["type_of_id"] == "N" and not row.photo
