"""Claim mapping onto the openIMIS insuree form, with real eSignet userinfo payloads (pure functions)."""

import base64
from datetime import date

import pytest

from portal.registration import claims as c

# specs/esignet/samples/esignet-openapi__userinfo-jws-example.json, decoded payload (MOSIP IDA: sub + claims).
OPENAPI_USERINFO = {"sub": "258008647108301360320646006005841751", "address": {"locality": "Rabat "},
                    "name": "arvind", "phone_number": "7864846343", "email": "aravindh2090@gmail.com"}
# mosip/esignet docs/relying-party-integration.md @ 098674f0 (quoted in notes/esignet.md §1.6).
DOCS_USERINFO = {"sub": "63EB", "address": {"street_address": "#991, 47 Street, 6 block", "country": "India",
                 "locality": "Bengaluru", "region": "Bengaluru Urban", "postal_code": "14022"},
                 "gender": "Male", "phone_number": "91000395660", "name": "Manoj", "email": "manoj@mail.com"}
# OpenCRVS esignet-mock userinfo shape (notes §3 4): given/family names and "yyyy/MM/dd".
OPENCRVS_MOCK_USERINFO = {"sub": "1", "name": "Mary Jane Doe", "given_name": "Mary", "middle_name": "Jane",
                          "family_name": "Doe", "gender": "female", "birthdate": "1990/01/31",
                          "address": {"formatted": "1 Main St, Ibombo", "locality": "Ibombo"}}
# What the sandbox eSignet sends for individual 8267411571 with claims_locales "fr en" (IDA style).
TINY_JPEG = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0" + b"0" * 60).decode()
SANDBOX_BILINGUAL = {"sub": "x", "name#en": "Siddharth K Mansour", "name#fr": "Siddharth K Mansour",
                     "birthdate": "1987/11/25", "individual_id": "8267411571",
                     "address#en": {"formatted#en": "Slung Cmattey Kénitra 45009 Morocco"},
                     "address#fr": {"formatted#fr": "yuān⥍ CMâttye Kénitra 45009 Maroc"},
                     "gender#en": "Male", "gender#fr": "Mâle", "picture": TINY_JPEG,
                     "email": "siddhartha.km@gmail.com", "phone_number": "+919427357934"}


def test_the_openapi_sample_fills_name_phone_email_and_address():
    mapped = c.map_claims(OPENAPI_USERINFO)
    values = mapped.values()
    assert values["last_name"] == "arvind" and "other_names" not in values  # one word: officer adds the rest
    assert values["phone"] == "7864846343" and values["email"] == "aravindh2090@gmail.com"
    assert values["current_address"] == "Rabat"
    assert mapped.fields["phone"].claim == "phone_number"
    assert ("name", "the name has one word only; enter the other names") in mapped.notes


def test_the_docs_sample_joins_the_address_parts():
    values = c.map_claims(DOCS_USERINFO).values()
    assert values["current_address"] == "#991, 47 Street, 6 block, Bengaluru, Bengaluru Urban, 14022, India"
    assert values["gender"] == "M" and values["last_name"] == "Manoj"


def test_given_and_family_names_win_over_splitting():
    mapped = c.map_claims(OPENCRVS_MOCK_USERINFO)
    assert mapped.values()["other_names"] == "Mary Jane" and mapped.values()["last_name"] == "Doe"
    assert mapped.fields["last_name"].claim == "family_name"
    assert mapped.values()["dob"] == "1990-01-31" and mapped.values()["gender"] == "F"
    assert mapped.values()["current_address"] == "1 Main St, Ibombo"


def test_bilingual_claims_prefer_the_officers_language():
    mapped = c.map_claims(SANDBOX_BILINGUAL, locales=("fr", "en"))
    assert mapped.fields["current_address"] == c.Verified("yuān⥍ CMâttye Kénitra 45009 Maroc", "address#fr")
    assert mapped.fields["gender"] == c.Verified("M", "gender#fr")
    assert mapped.fields["last_name"] == c.Verified("Mansour", "name#fr")
    assert mapped.values()["other_names"] == "Siddharth K"
    assert mapped.values()["dob"] == "1987-11-25"
    assert mapped.values()["passport"] == "8267411571"
    assert mapped.values()["photo"] == TINY_JPEG.split(",", 1)[1]
    english = c.map_claims(SANDBOX_BILINGUAL, locales=("en",))
    assert english.fields["current_address"].claim == "address#en"


def test_three_letter_locale_keys_from_the_mock_identity_system():
    mapped = c.map_claims({"name#eng": "Amina Diallo", "name#fra": "Amina Diallo", "gender#fra": "Femelle"},
                          locales=("fr",))
    assert mapped.fields["last_name"].claim == "name#fra" and mapped.values()["gender"] == "F"


def test_the_insuree_number_is_never_taken_from_the_national_id():
    assert "chf_id" not in c.map_claims(SANDBOX_BILINGUAL).values()


@pytest.mark.parametrize(
    "name, order, expected",
    [("Siddharth K Mansour", "given_first", ("Siddharth K", "Mansour")),
     ("Mansour Siddharth K", "family_first", ("Siddharth K", "Mansour")),
     ("  Jean-Baptiste   Koffi  Mensah ", "given_first", ("Jean-Baptiste Koffi", "Mensah")),
     ("Cher", "given_first", ("", "Cher")),
     ("", "given_first", ("", ""))],
    ids=["given-first", "family-first", "extra-spaces", "one-word", "empty"],
)
def test_split_name(name, order, expected):
    assert c.split_name(name, order) == expected


@pytest.mark.parametrize(
    "value, expected",
    [("1987/11/25", date(1987, 11, 25)), ("1987-11-25", date(1987, 11, 25)), ("2001/2/5", date(2001, 2, 5))],
    ids=["mosip", "iso", "short-parts"],
)
def test_birthdates_are_read_in_both_forms(value, expected):
    assert c.parse_birthdate(value) == expected


@pytest.mark.parametrize(
    "value, message",
    [("25/11/1987", "not in the form"), ("1987/02/30", "not a real date"), ("2999/01/01", "in the future"),
     ("1700/01/01", "implausibly old"), ("", "not in the form"), (None, "not in the form")],
    ids=["day-first", "feb-30", "future", "too-old", "empty", "none"],
)
def test_invalid_birthdates_are_rejected_with_a_message(value, message):
    with pytest.raises(ValueError, match=message):
        c.parse_birthdate(value, today=date(2026, 1, 1))
    mapped = c.map_claims({"birthdate": value}, today=date(2026, 1, 1))
    assert "dob" not in mapped.values()
    if value:  # an empty claim is simply missing
        assert any(message in note for _, note in mapped.notes)


@pytest.mark.parametrize(
    "label, code",
    [("Male", "M"), ("MALE", "M"), ("Mâle", "M"), ("MLE", "M"), ("ذكر", "M"), ("Female", "F"), ("Femelle", "F"),
     ("female", "F"), ("Others", "O"), ("Autres", "O"), ("other", "O"), ("Martian", None), ("", None)],
)
def test_gender_labels_in_any_locale(label, code):
    assert c.gender_code(label) == code


def test_an_unknown_gender_label_leaves_the_field_for_the_officer():
    mapped = c.map_claims({"gender": "Martian"})
    assert "gender" not in mapped.values()
    assert mapped.notes == [("gender", "the gender label is not one the portal knows; choose it")]


def test_a_gender_label_can_come_from_another_locale():
    mapped = c.map_claims({"gender#sw": "Mwanaume", "gender#en": "Male"}, locales=("sw",))
    assert mapped.fields["gender"] == c.Verified("M", "gender#en")


def test_gender_labels_are_configurable():
    labels = {**c.GENDER_LABELS, "M": (*c.GENDER_LABELS["M"], "mwanaume")}
    assert c.map_claims({"gender": "Mwanaume"}, gender_labels=labels).values()["gender"] == "M"


@pytest.mark.parametrize(
    "picture, message",
    [("https://example.org/me.jpg", "not an embedded image"),
     ("data:image/gif;base64,R0lGODlh", "not a JPEG or PNG"),
     ("data:image/jpeg;base64,!!!notbase64", "damaged"),
     ("data:image/jpeg;base64," + base64.b64encode(b"hello").decode(), "not an image"),
     ("data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8" + b"0" * 2000).decode(), "larger than the portal")],
    ids=["url", "gif", "bad-base64", "not-image", "too-large"],
)
def test_odd_pictures_are_left_out_with_a_note(picture, message):
    mapped = c.map_claims({"picture": picture}, max_photo_bytes=1024)
    assert "photo" not in mapped.values()
    assert any(message in note for _, note in mapped.notes)


def test_a_png_picture_is_accepted():
    png = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 20).decode()
    assert c.map_claims({"picture": png}).values()["photo"].startswith("iVBOR")


@pytest.mark.parametrize(
    "claims",
    [None, [], "text", {}, {"name": None}, {"name": 42}, {"address": 7}, {"address": {}}, {"email": "not-an-email"},
     {"birthdate": 19870101}, {"phone_number": None}, {"individual_id": ""}, {"name": {"en": "x"}}],
    ids=["none", "list", "text", "empty", "null-name", "number-name", "number-address", "empty-address",
         "bad-email", "number-birthdate", "null-phone", "empty-id", "object-name"],
)
def test_missing_or_odd_claims_never_crash(claims):
    mapped = c.map_claims(claims)
    assert isinstance(mapped.values(), dict)


def test_over_long_values_are_kept_with_a_note():
    mapped = c.map_claims({"name": "A " + "B" * 150})
    assert len(mapped.values()["last_name"]) == 150
    assert ("name", "the value is longer than openIMIS accepts") in mapped.notes


def test_notes_name_claims_never_values():
    mapped = c.map_claims({"birthdate": "31/12/1999", "email": "nope", "gender": "Zorg"})
    for _claim, note in mapped.notes:
        assert "1999" not in note and "nope" not in note and "Zorg" not in note
