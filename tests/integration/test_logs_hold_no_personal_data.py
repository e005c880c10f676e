"""The README promises logs without personal data. Here the portal's main flows run against the sandbox peers, every
log record is written by the portal's own JsonFormatter, and no line may hold a personal value of the inputs:

- a DCI push from openSPP: openSPP's plain individual and an IBR envelope, their enrollment in openIMIS, the same
  push again, and a refused one;
- an officer's registration: eSignet verification, one correction, the insuree created in openIMIS;
- an OpenCRVS birth webhook (a record made from OpenCRVS's sample bundles), driven through MOSIP to the UIN
  token sent back to OpenCRVS.
"""

import io
import json
import logging
from contextlib import ExitStack

import httpx
import pytest

from tests.integration import enrollment_support as dci
from tests.integration.packets_support import all_in, open_world
from tests.integration.registration_support import (VALUES, confirm, portal_config, registration_id_of, run_jobs,
                                                    verify_at_esignet)

PLAIN_INDIVIDUAL = {"name": "TAMANG, PEMA DOLMA", "given_name": "Pema", "addl_name": "Dolma", "family_name": "Tamang",
                    "gender": "Female", "birthdate": "1988-07-14",
                    "ids": [{"id_type": "National ID", "value": "NP-1988071477"}],
                    "phone_numbers": [{"phone_no": "+977 9841234567"}], "email": "pema.tamang@example.org",
                    "is_group": False}
ENVELOPE_PERSON = dci.person(given="Kanokwan", surname="Srisuwan", uin="736152948", birth_date="1979-04-30")
DCI_VALUES = ["Tamang", "Pema", "Dolma", "1988-07-14", "NP-1988071477", "9841234567", "pema.tamang@example.org",
              "Kanokwan", "Srisuwan", "736152948", "1979-04-30"]
# eSignet's demo identity 8267411571 (portal_sandbox/esignet/identities.json) and the officer's correction
REGISTRATION_VALUES = [VALUES[k] for k in ("last_name", "other_names", "dob", "passport", "phone", "email",
                                           "current_address")] + ["Mansour-Alaoui", "8267411571"]


def fhir_personal_values(bundle):
    """Names, birth and death dates, identifiers and phone numbers of the people in an OpenCRVS bundle."""
    values = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Task":
            values += [e["valueString"] for e in resource.get("extension", []) if "phone-number" in e["url"]]
        if resource["resourceType"] not in ("Patient", "RelatedPerson"):
            continue
        for name in resource.get("name", []):
            family = name.get("family")
            values += [part for part in [*name.get("given", []), *(family if isinstance(family, list) else [family])]
                       if part]
        values += [resource[k][:10] for k in ("birthDate", "deceasedDateTime") if resource.get(k)]
        values += [i["value"] for i in resource.get("identifier", []) if i.get("value")]
        values += [t["value"] for t in resource.get("telecom", []) if t.get("value")]
    return values


@pytest.fixture
def portal(make_app, esignet_clean, key_file):
    """The portal with eSignet, openIMIS and openSPP (sandboxes over HTTP)."""
    with dci.live_peers() as (imis, spp):
        yield make_app({**portal_config(esignet_clean.url, imis.url, key_file), **dci.portal_config(imis, spp)})


@pytest.fixture
def world(make_app):
    """A second portal, served over HTTP, with sandbox MOSIP and OpenCRVS (same database)."""
    with ExitStack() as stack:
        yield open_world(stack, make_app)


@pytest.fixture
def log_lines(portal, world, app):
    """Every log record from now on, as the portal's formatter writes it. After every app is built (`app` is the one
    login_as makes users with): each configures logging afresh."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)  # the JsonFormatter of configure_logging
    logging.getLogger().addHandler(handler)
    yield lambda: [line for line in stream.getvalue().splitlines()
                   # the sandbox peers run in this process too; their logs are not the portal's
                   if not json.loads(line)["logger"].startswith("portal_sandbox")]
    logging.getLogger().removeHandler(handler)


def test_no_personal_value_of_the_inputs_reaches_a_log_line(portal, world, log_lines, login_as):
    assert type(logging.getLogger().handlers[0].formatter).__name__ == "JsonFormatter"
    inputs = []

    # openSPP pushes two people over the DCI API; they are enrolled in openIMIS, then pushed again
    http = portal.test_client()
    token = dci.bearer(http, *dci.api_client(portal))
    envelope = dci.ibr_envelope([ENVELOPE_PERSON])
    for _round in range(2):
        assert http.post("/api/dci/enrollment", json=PLAIN_INDIVIDUAL, headers=token).status_code == 200
        assert http.post("/api/dci/enrollment", json=envelope, headers=token).status_code == 200
        assert {status for _kind, status in dci.run_jobs(portal)} <= {"done"}
    refused = {**PLAIN_INDIVIDUAL, "birthdate": "2999-01-02"}  # refused with its reason, and a log line
    assert http.post("/api/dci/enrollment", json=refused, headers=token).status_code == 400
    inputs += DCI_VALUES + ["2999-01-02"]

    # an officer registers eSignet's demo person, corrects the family name, openIMIS creates the insuree
    officer = portal.test_client()
    login_as(officer, "officer", username="ana")
    registration_id = registration_id_of(verify_at_esignet(officer))
    assert confirm(officer, registration_id, last_name="Mansour-Alaoui").status_code == 303
    assert run_jobs(portal) == [("openimis.register_insuree", "done", None)]
    inputs += REGISTRATION_VALUES

    # OpenCRVS registers a birth: webhook, packet in MOSIP, UIN token back to OpenCRVS
    world.subscribe()
    world.emit("birth")
    world.drive(all_in("notified"))
    [delivery] = [d for d in httpx.get(f"{world.crvs.url}/_sandbox/deliveries").json()["deliveries"]
                  if d["status"] == 202]
    bundle = json.loads(delivery["body"])["event"]["context"][0]
    inputs += fhir_personal_values(bundle)

    lines = log_lines()
    hits = [(value, line) for line in lines for value in set(inputs) if value in line]
    print(f"\nlog lines scanned: {len(lines)}, personal values looked for: {len(set(inputs))}, hits: {len(hits)}")
    assert len(lines) > 50  # the flows did log
    assert hits == []
