"""A bundle that cannot become a MOSIP packet is refused with a message that names what is missing."""

import json

import pytest

from portal.clients.mosip.identity import identity_fields
from portal.clients.opencrvs import fhir
from portal_sandbox.opencrvs import bundles


def child(bundle):
    return bundle["entry"][1]["resource"]


def drop_patients(bundle):
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]


def drop_codes(bundle):
    bundle["entry"][0]["resource"].pop("code")


CASES = [
    ("not a bundle", lambda b: b.update(resourceType="Patient"), "expected a FHIR Bundle"),
    ("no entries", lambda b: b.update(entry=[]), "has no entries"),
    ("no patient", drop_patients, "no child Patient"),
    ("neither birth nor death", drop_codes, "cannot tell a birth from a death"),
]


@pytest.mark.parametrize("change, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unreadable_bundle_is_refused(change, message):
    bundle = bundles.load_sample("birth-1")
    change(bundle)

    with pytest.raises(fhir.BundleError, match=message):
        fhir.read_bundle(bundle)


MAPPING_CASES = [
    ("no name", lambda c: c.update(name=[]), "has no name"),
    ("one-letter name", lambda c: c.update(name=[{"use": "en", "given": ["A"], "family": []}]), "shorter than the 3"),
    ("no birth date", lambda c: c.pop("birthDate"), "no readable birth date"),
    ("unreadable birth date", lambda c: c.update(birthDate="07/03/2022"), "no readable birth date"),
    ("no gender", lambda c: c.pop("gender"), "has no gender"),
]


@pytest.mark.parametrize("change, message", [c[1:] for c in MAPPING_CASES], ids=[c[0] for c in MAPPING_CASES])
def test_child_without_what_mosip_requires_is_refused(change, message):
    bundle = bundles.load_sample("birth-1")
    change(child(bundle))
    record = fhir.read_bundle(bundle)

    with pytest.raises(fhir.BundleError, match=message) as caught:
        identity_fields(record)
    assert "Mosip" not in str(caught.value)  # the message names fields, never the person's data


def test_long_values_are_cut_to_the_schema_length():
    bundle = bundles.load_sample("birth-1")
    given, family = ["Bartholomew-Alexander Maximilian"], ["Featherstonehaugh"]
    child(bundle)["name"] = [{"use": "en", "given": given, "family": family}]

    fields = identity_fields(fhir.read_bundle(bundle))

    assert len(json.loads(fields["fullName"])[0]["value"]) == 50
