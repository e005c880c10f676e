"""Who is who in a bundle: Composition sections, or order and identifiers in the older webhook bundle."""

from portal.clients.mosip.identity import identity_fields, to_mosip_date
from portal.clients.opencrvs import fhir
from portal_sandbox.opencrvs import bundles


def test_composition_sections_give_child_mother_father_and_informant():
    record = fhir.read_bundle(bundles.load_sample("birth-record-informant"))

    assert record.child.full_name() == "Child Birth"
    assert record.mother.full_name() == "Mother Notinformant"
    assert record.father.full_name() == "Father Last"
    assert record.informant.full_name() == "Legal Guardian"
    assert record.informant.relationship == "LEGAL_GUARDIAN"
    assert record.informant.national_id == "1111111111"
    assert record.contact_email == "someone@test.com"


def test_an_absent_father_is_no_father():
    # The father Patient is inactive, nameless, with a "reason-not-applying" extension.
    record = fhir.read_bundle(bundles.load_sample("birth-record"))

    assert record.father is None
    assert record.informant.relationship == "MOTHER"
    assert record.informant.full_name() == "Mom Sami"


def test_death_sections_give_deceased_spouse_and_informant():
    record = fhir.read_bundle(bundles.load_sample("death-record"))

    assert record.deceased.full_name() == "Some One"
    assert record.spouse.full_name() == "Sam Wan"
    assert record.informant.relationship == "SPOUSE"
    assert record.child is None and record.mother is None


def test_webhook_bundle_first_patient_is_the_child_second_the_mother():
    record = fhir.read_bundle(bundles.load_sample("birth-4"))

    assert record.child.full_name() == "Round1Test3 OpencrvsMosip"
    assert record.mother.full_name() == "Sara Mosip"
    # The RelatedPerson says MOTHER and has no patient reference: the informant is the mother.
    assert record.informant.relationship == "MOTHER"
    assert record.informant.full_name() == "Sara Mosip"
    assert record.status == "REGISTERED"
    assert record.task_id == "1fb7a84a-1b25-427c-aec5-9b44b8c7b491"


def test_plain_string_identifier_types_are_read():
    record = fhir.read_bundle(bundles.load_sample("death-1"))

    assert record.deceased.identifiers == {"NATIONAL_ID": "2784528096", "MOSIP_UINTOKEN": "XXXXXXXX",
                                           "DEATH_REGISTRATION_NUMBER": "2022DJK5F5R"}
    assert record.deceased.deceased and record.deceased.deceased_date == "2022-06-23"


def test_mosip_aid_on_the_task_is_found_when_the_child_has_none():
    bundle = bundles.load_sample("birth-1")
    bundle["entry"][0]["resource"]["identifier"].append(
        {"system": "http://opencrvs.org/specs/id/mosip-aid", "value": "10001100010000120250101000000"})

    assert fhir.read_bundle(bundle).mosip_aid == "10001100010000120250101000000"


def test_the_kind_given_by_the_topic_wins():
    bundle = bundles.load_sample("birth-1")
    bundle["entry"][0]["resource"].pop("code")

    assert fhir.bundle_kind(bundle) is None
    assert fhir.read_bundle(bundle, kind="birth").kind == "birth"


def test_names_in_two_languages_are_both_sent():
    bundle = bundles.load_sample("birth-1")
    child = bundle["entry"][1]["resource"]
    child["name"].append({"use": "fr", "given": ["Un"], "family": ["Mosip"]})

    fields = identity_fields(fhir.read_bundle(bundle))

    assert fields["fullName"] == '[{"language":"eng","value":"One Mosip"},{"language":"fra","value":"Un Mosip"}]'


def test_dates_become_mosip_dates():
    assert to_mosip_date("2022-08-24") == "2022/08/24"
    assert to_mosip_date("2022-06-23T10:11:12.000Z") == "2022/06/23"
    assert to_mosip_date("24/08/2022") is None
    assert to_mosip_date("1700-01-01") is None  # before the schema's 1869
    assert to_mosip_date(None) is None
