"""Every real OpenCRVS sample bundle maps to MOSIP identity fields the ID schema accepts."""

import json
import re

import jsonschema
import pytest

from portal.clients.mosip.identity import identity_fields
from portal.clients.opencrvs import fhir
from portal_sandbox.opencrvs import bundles

SCHEMA = json.loads((bundles.SAMPLES_DIR / "opencrvs-mosip__idSchemaJson_tonga.json").read_text())
IDENTITY = SCHEMA["properties"]["identity"]["properties"]

# sample -> what the bundle says (from reading the JSON files by hand).
EXPECTED = {
    "birth-1": dict(kind="birth", tracking_id="B60QW1Y", registration_number="2022B60QW1Y", mosip_aid=None,
                    name="One Mosip", dob="2022/03/07", record_id="6c20af51-6af7-46a4-bd1e-07c44e0214e9"),
    # The Task says 2022BF1JRYY, the child's identifier 2022BF1JRYP: the child's wins (what the LEGACY
    # mediator sends back as opencrvsBRN and what the country config searches for).
    "birth-2": dict(kind="birth", tracking_id="BF1JRYP", registration_number="2022BF1JRYP", mosip_aid=None,
                    name="Sixteen Mosip", dob="2022/03/18", record_id="7b4b79f5-6f92-4e64-8716-7ab683f2f4c3"),
    "birth-4": dict(kind="birth", tracking_id="ABCDEF3", registration_number="2022ABCDEF3",
                    mosip_aid="45451454520002120220824173802", name="Round1Test3 OpencrvsMosip", dob="2022/08/24",
                    record_id="66854a75-94c8-47fb-9d00-e8c64cc0e4b3"),
    "death-1": dict(kind="death", tracking_id="DJK5F5R", registration_number="2022DJK5F5R", mosip_aid=None,
                    name="Frank Spencer", dob="1990/09/20", nid="2784528096", dod="2022/06/23",
                    record_id="5620f23b-e67d-4ac6-af62-c3ac5d61c79e"),
    "birth-record": dict(kind="birth", tracking_id="BXXDBIC", registration_number=None, mosip_aid=None,
                         name="Toni Sami", dob="2024/01/01", record_id="b3821b1b-0cf8-4bdc-b94e-ecbc9af4a30e"),
    "birth-record-mother-father": dict(kind="birth", tracking_id="BN6TQN5", registration_number=None,
                                       mosip_aid=None, name="John Doe", dob="2025/01/01",
                                       record_id="be3d5c4a-3100-4501-80e3-d19d65b371d3"),
    "birth-record-informant": dict(kind="birth", tracking_id="BIHFXFY", registration_number=None, mosip_aid=None,
                                   name="Child Birth", dob="2025/02/02",
                                   record_id="2e13ee4d-fa7a-42a4-8c4b-73802514bf1a"),
    "death-record": dict(kind="death", tracking_id="DYC3RFC", registration_number=None, mosip_aid=None,
                         name="Some One", dob="1990/01/01", nid="0000000001", dod="2024/12/02",
                         record_id="db72168c-a689-4845-9877-8dae2eb25932"),
    "death-record-spouse": dict(kind="death", tracking_id="D8B6ATF", registration_number=None, mosip_aid=None,
                                name="Someone Died", dob="1990/02/02", nid="1234512345", dod="2025/02/02",
                                record_id="626e6d09-2a40-4947-8ec6-a85ae585c7a9"),
    "death-record-informant": dict(kind="death", tracking_id="D8B6ATF", registration_number=None, mosip_aid=None,
                                   name="Someone Died", dob="1990/02/02", nid="1234512345", dod="2025/02/02",
                                   record_id="626e6d09-2a40-4947-8ec6-a85ae585c7a9"),
}


def test_every_sample_has_an_expectation():
    assert set(EXPECTED) == set(bundles.SAMPLES)


def decode_like_packet_manager(fields):
    """`RegistrationPacket.setFields`: a JSON object/array string becomes that structure, else a string;
    the schema declares IDSchemaVersion a number."""
    decoded = {}
    for key, value in fields.items():
        assert isinstance(value, str), f"{key} is not a string"
        decoded[key] = json.loads(value) if value[:1] in "[{" else value
    decoded["IDSchemaVersion"] = float(decoded["IDSchemaVersion"])
    return decoded


def check_validators(decoded):
    for key, value in decoded.items():
        for validator in IDENTITY[key].get("validators", []):
            texts = [item["value"] for item in value] if isinstance(value, list) else [value]
            for text in texts:
                assert re.search(validator["validator"], text), f"{key} fails {validator['validator']}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_bundle_reads_into_a_record(name):
    expected = EXPECTED[name]
    record = fhir.read_bundle(bundles.load_sample(name))

    assert record.kind == expected["kind"]
    assert record.record_id == expected["record_id"]
    assert record.tracking_id == expected["tracking_id"]
    assert record.registration_number == expected["registration_number"]
    assert record.mosip_aid == expected["mosip_aid"]
    assert record.subject.full_name() == expected["name"]
    assert record.deceased_national_id == expected.get("nid")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_bundle_maps_to_fields_the_id_schema_accepts(name):
    expected = EXPECTED[name]
    fields = identity_fields(fhir.read_bundle(bundles.load_sample(name)), id_schema_version="0.1")
    decoded = decode_like_packet_manager(fields)

    jsonschema.Draft7Validator(SCHEMA).validate({"identity": decoded})
    check_validators(decoded)
    assert decoded["fullName"] == [{"language": "eng", "value": expected["name"]}]
    assert fields["dateOfBirth"] == expected["dob"]
    assert decoded["gender"][0]["value"] in ("Male", "Female")
    if expected["kind"] == "death":
        assert fields["nationalIdNumber"] == expected["nid"]
        assert fields["UIN"] == expected["nid"]
        assert fields["dateOfDeath"] == expected["dod"]
        assert "birthCertificateNumber" not in fields
    elif expected["registration_number"]:
        assert fields["birthCertificateNumber"] == expected["registration_number"]


def test_multilingual_values_are_compact_json_strings():
    fields = identity_fields(fhir.read_bundle(bundles.load_sample("birth-4")))

    assert fields["fullName"] == '[{"language":"eng","value":"Round1Test3 OpencrvsMosip"}]'
    assert fields["gender"] == '[{"language":"eng","value":"Male"}]'
    assert fields["IDSchemaVersion"] == "0.1"


def test_birth_address_is_the_mothers():
    fields = identity_fields(fhir.read_bundle(bundles.load_sample("birth-4")))

    assert json.loads(fields["addressLine1"])[0]["value"] == "Road Number 1"
    assert json.loads(fields["addressLine2"])[0]["value"] == "Mother Street"
    assert json.loads(fields["addressLine3"])[0]["value"] == "Mother Res Area"
    assert json.loads(fields["city"])[0]["value"] == "Ibombo Town"
    # 560100 has six characters; the schema wants five or "NA".
    assert fields["postalCode"] == "NA"
    assert json.loads(fields["guardianOrParentName"])[0]["value"] == "Sara Mosip"


def test_location_ids_become_names_from_the_bundle():
    fields = identity_fields(fhir.read_bundle(bundles.load_sample("birth-record")))

    assert json.loads(fields["region"])[0]["value"] == "Central"
    assert json.loads(fields["zone"])[0]["value"] == "Ibombo"


def test_caller_supplied_location_names_complete_the_bundle():
    record = fhir.read_bundle(bundles.load_sample("death-1"))
    fields = identity_fields(record, locations={"7dbf10a9-23d9-4038-8b1c-9f6547ab4877": "Central",
                                                     "b09122df-81f8-41a0-b5c6-68cba4145cab": "Ibombo"})

    assert json.loads(fields["province"])[0]["value"] == "Central"
    assert json.loads(fields["city"])[0]["value"] == "Ibombo"


def test_phone_outside_the_schema_is_left_out_not_sent_to_be_rejected():
    record = fhir.read_bundle(bundles.load_sample("birth-4"))
    assert record.contact_phone == "+260789456123"

    assert "phone" not in identity_fields(record)


@pytest.mark.parametrize("kind", ["birth", "death"])
@pytest.mark.parametrize("seq", range(1, 7))
def test_generated_sandbox_records_map_too(kind, seq):
    bundle, facts = bundles.generate(kind, seq, seed=3, with_aid=seq % 2 == 0)
    record = fhir.read_bundle(bundle)
    decoded = decode_like_packet_manager(identity_fields(record))

    jsonschema.Draft7Validator(SCHEMA).validate({"identity": decoded})
    check_validators(decoded)
    assert (record.tracking_id, record.registration_number, record.mosip_aid) == (
        facts["tracking_id"], facts["registration_number"], facts["mosip_aid"])
