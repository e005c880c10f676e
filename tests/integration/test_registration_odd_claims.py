"""Odd claims from eSignet (one-word name, bad email) leave the field for the officer, with a note, never a 500."""

import copy
import json

import pytest

from portal_sandbox.esignet.state import HERE
from tests.integration.registration_support import (esignet_peer, portal_config, registration, registration_id_of,
    verify_at_esignet)


def odd_identity():
    identities = json.loads((HERE / "identities.json").read_text())["identities"]
    person = copy.deepcopy(identities[0])
    person["fullName"] = [{"language": "eng", "value": "Madonna"}, {"language": "fra", "value": "Madonna"}]
    person["email"] = "not-an-email"
    return person


@pytest.fixture
def portal(make_app, openimis_live, key_file):
    with esignet_peer(key_file, IDENTITIES=[odd_identity()]) as esignet_live:
        yield make_app(portal_config(esignet_live.url, openimis_live.url, key_file))


def test_odd_claims_are_noted_and_the_form_still_opens(portal, officer):
    back = verify_at_esignet(officer)
    assert back.status_code == 303
    registration_id = registration_id_of(back)
    page = officer.get(back.headers["Location"])
    assert page.status_code == 200
    row = registration(portal, registration_id)
    notes = dict(row.verification_notes)
    assert all(isinstance(note, str) for note in notes.values())
    assert "one word" in notes.get("name", "")
    assert "email" in " ".join(notes.values())
    assert row.verification == "verified"
