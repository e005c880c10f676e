"""Bad form input: an invalid date, an over-long name, an unknown gender code, a missing required field, a bad
action. Each gets a clear message on the re-rendered form (400, or 200 for htmx), what was typed is kept, never 500."""

import uuid

import pytest

from tests.integration.registration_support import (VALUES, confirm, form_errors, registration, registration_id_of,
    run_jobs)


@pytest.fixture
def draft(officer):
    response = officer.post("/registration/new", data={**VALUES, "action": "save"})
    assert response.status_code == 303
    return registration_id_of(response)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"dob": "1987-02-30"}, "Not a valid date value."),
        ({"dob": "25/11/1987"}, "Not a valid date value."),
        ({"dob": "2999-01-01"}, "The birth date cannot be in the future."),
        ({"last_name": "N" * 101}, "Field cannot be longer than 100 characters."),
        ({"other_names": "x" * 5000}, "Field cannot be longer than 100 characters."),
        ({"gender": "Z"}, "Not a valid choice."),
        ({"village": "999999"}, "Not a valid choice."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"passport": "1" * 26}, "Field cannot be longer than 25 characters."),
        ({"last_name": ""}, "Enter the last name."),
        ({"gender": ""}, "Choose the gender."),
        ({"village": ""}, "Choose the village."),
        ({"family_mode": "join", "head_chf_id": ""}, "Enter the insurance number of the family"),
        ({"type_of_id": ""}, "Choose the identification type."),
    ],
    ids=["feb-30", "day-first", "future", "long-last-name", "huge-other-names", "unknown-gender",
         "unknown-village", "bad-email", "long-id", "no-last-name", "no-gender", "no-village", "join-without-head",
         "id-without-type"],
)
def test_confirm_with_bad_input_shows_the_message(portal, officer, draft, changes, message):
    response = confirm(officer, draft, **changes)
    assert response.status_code == 400
    assert any(message in text for text in form_errors(response)), form_errors(response)
    assert registration(portal, draft).status == "draft"
    assert run_jobs(portal) == []


def test_an_htmx_post_with_bad_input_gets_the_form_fragment_with_200(officer, draft):
    response = officer.post(f"/registration/{draft}/edit", data={**VALUES, "dob": "1987-13-01", "action": "confirm"},
                            headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.data.decode()
    assert page.lstrip().startswith("<form") and "Not a valid date value." in page


def test_an_htmx_success_redirects_with_hx_redirect(officer, draft):
    response = officer.post(f"/registration/{draft}/edit", data={**VALUES, "action": "save"},
                            headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(f"/registration/{draft}/edit")


def test_what_was_typed_is_kept_when_confirmation_fails(portal, officer, draft):
    confirm(officer, draft, village="", phone="+255 700 000 000")
    assert registration(portal, draft).values["phone"] == "+255 700 000 000"


def test_an_unknown_action_is_a_bad_request(officer, draft):
    assert officer.post(f"/registration/{draft}/edit", data={**VALUES, "action": "explode"}).status_code == 400


def test_a_confirmed_registration_cannot_be_edited(portal, officer, draft):
    assert confirm(officer, draft).status_code == 303
    assert officer.post(f"/registration/{draft}/edit", data={**VALUES, "action": "save"}).status_code == 409
    assert officer.get(f"/registration/{draft}/edit").status_code == 303  # to the detail page


def test_a_manual_registration_goes_through_as_not_verified(portal, officer, draft):
    assert officer.post(f"/registration/{draft}/manual").status_code == 303
    assert confirm(officer, draft, passport=f"MAN-{uuid.uuid4().hex[:8]}").status_code == 303
    assert run_jobs(portal) == [("openimis.register_insuree", "done", None)]
    row = registration(portal, draft)
    assert row.verification == "manual" and row.status == "done" and row.chf_id
    assert b"not verified" in officer.get("/registration/").data
