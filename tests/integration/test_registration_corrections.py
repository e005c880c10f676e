"""Corrections of MOSIP values: recorded with both values, officer and time; the field loses its "verified" marker;
the list filters on them."""

import re

from tests.integration.registration_support import VALUES, registration, registration_id_of, verify_at_esignet


def verified_draft(officer, individual_id="4567890123"):
    return registration_id_of(verify_at_esignet(officer, individual_id=individual_id))


def test_an_htmx_change_of_a_verified_field_is_recorded_at_once(portal, officer):
    registration_id = verified_draft(officer)
    # "Fatima Zahra El Idrissi": the last word is taken as the last name; the officer knows better.
    response = officer.post(f"/registration/{registration_id}/field/last_name", data={"last_name": "El Idrissi"},
                            headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.data.decode()
    assert fragment.lstrip().startswith('<div class="field" id="field-last_name"')
    assert "Corrected" in fragment and "MOSIP gave “Idrissi”" in fragment and 'class="verified"' not in fragment
    row = registration(portal, registration_id)
    assert row.values["last_name"] == "El Idrissi" and row.has_corrections
    correction = row.corrections[0]
    assert (correction.field, correction.claim, correction.mosip_value, correction.entered_value,
            correction.officer) == ("last_name", "name", "Idrissi", "El Idrissi", "ana")
    assert correction.created_at is not None


def test_going_back_to_the_mosip_value_makes_the_field_verified_again(portal, officer):
    registration_id = verified_draft(officer)
    officer.post(f"/registration/{registration_id}/field/phone", data={"phone": "+212 600"})
    fragment = officer.post(f"/registration/{registration_id}/field/phone",
                            data={"phone": "+212612345678"}).data.decode()
    assert 'class="verified"' in fragment
    row = registration(portal, registration_id)
    assert len(row.corrections) == 2 and not row.has_corrections  # history kept, nothing differs now


def test_an_invalid_value_in_the_field_is_not_saved(portal, officer):
    registration_id = verified_draft(officer)
    fragment = officer.post(f"/registration/{registration_id}/field/dob", data={"dob": "1995-02-31"}).data.decode()
    assert "Not a valid date value." in fragment
    assert registration(portal, registration_id).values["dob"] == "1995-07-30"


def test_only_prefillable_fields_can_be_saved_alone(officer):
    registration_id = verified_draft(officer)
    assert officer.post(f"/registration/{registration_id}/field/chf_id", data={"chf_id": "1"}).status_code == 404


def test_a_change_on_submit_is_a_correction_too_and_the_list_filters_on_it(portal, officer):
    corrected = verified_draft(officer, "4567890123")
    untouched = verified_draft(officer, "5678901234")
    values = {**VALUES, "last_name": "Idrissi", "other_names": "Fatima", "dob": "1995-07-30", "gender": "F",
              "passport": "4567890123", "phone": "+212612345678", "email": "fatima.elidrissi@example.org",
              "current_address": "45 Avenue Hassan II Agdal Rabat-Salé-Kénitra 10080 Morocco"}
    officer.post(f"/registration/{corrected}/edit", data={**values, "action": "save"})
    row = registration(portal, corrected)
    assert [c.field for c in row.corrections] == ["other_names"] and row.has_corrections
    listing = officer.get("/registration/?corrected=1").data.decode()
    ids = re.findall(r'/registration/(\d+)(?:/edit)?">\d+</a>', listing)
    assert str(corrected) in ids and str(untouched) not in ids
    everything = re.findall(r'/registration/(\d+)(?:/edit)?">\d+</a>', officer.get("/registration/").data.decode())
    assert {str(corrected), str(untouched)} <= set(everything)


def test_the_detail_page_lists_corrections_with_both_values(portal, officer):
    registration_id = verified_draft(officer)
    officer.post(f"/registration/{registration_id}/field/email", data={"email": "fz@example.org"})
    page = officer.get(f"/registration/{registration_id}").data.decode()
    section = page.split('id="corrections-heading"')[1].split("</section>")[0]
    assert "fatima.elidrissi@example.org" in section and "fz@example.org" in section and "ana" in section
