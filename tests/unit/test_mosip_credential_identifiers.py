"""What a CREDENTIAL_ISSUED names its record by, read the way each sender writes it.

* MOSIP's OpenCRVS stage (mosip/mosip-opencrvs `registration-processor-opencrvs-stage` `OpencrvsStage`, HEAD
  d5a6b23b) asks for the credential of the person's VID with `additionalData: {opencrvsBRN}`; MOSIP's credential
  service (mosip/id-repository `CredentialStoreServiceImpl.getEventModel`, HEAD ebc79bf6) publishes that
  additionalData inside `event.data`, and `CredentialProvider` makes the subject `id` the requested id (the VID).
  Before commit c4b239c the key was `opencrvsId` (opencrvs-print `PrintServiceImpl` still reads it).
* OpenCRVS's own mosip-api (opencrvs/mosip `packages/mosip-api/src/routes/websub-credential-issued.ts`, HEAD
  dfa03cd9) takes the record from the tail of `credentialSubject.id`; its sample credential
  (tests/fixtures/crvs/opencrvs-mosip__decrypted-vercred-VALID_CREDENTIAL.json) also carries
  `birthCertificateNumber` and the `VID`.
"""

import json
from pathlib import Path

import pytest

from portal.clients.mosip import parse_credential, parse_credential_event

VALID_CREDENTIAL = (Path(__file__).parents[1] / "fixtures" / "crvs"
                    / "opencrvs-mosip__decrypted-vercred-VALID_CREDENTIAL.json").read_text()


def envelope(**data):
    return {"publisher": "CREDENTIAL_SERVICE", "topic": "opencrvs-partner/CREDENTIAL_ISSUED",
            "publishedOn": "2024-03-14T10:00:00.000Z",
            "event": {"id": "9d3f6c51-3a8e-4c0e-9a59-1d8f3a1f2b11", "transactionId": "req-1",
                      "type": {"namespace": "mosip", "name": "mosip"}, "timestamp": "2024-03-14T10:00:00.000Z",
                      "dataShareUri": None,
                      "data": {"credential": "x", "proof": {"signature": "s"}, "credentialType": "opencrvs",
                               "protectionKey": "123456", **data}}}


@pytest.mark.parametrize("data,expected", [
    ({"opencrvsBRN": "2022B60QW1Y"}, ("2022B60QW1Y", None, None)),
    ({"opencrvsId": "2022B60QW1Y"}, (None, "2022B60QW1Y", None)),
    ({"additionalData": {"opencrvsBRN": " 2022B60QW1Y "}}, ("2022B60QW1Y", None, None)),
    ({"registrationId": "10001100040000120250101000000"}, (None, None, "10001100040000120250101000000")),
    ({"opencrvsBRN": "", "opencrvsId": None}, (None, None, None)),
    ({"opencrvsBRN": True, "registrationId": {"x": 1}}, (None, None, None)),
], ids=["stage-opencrvsBRN", "stage-2022-opencrvsId", "nested-additionalData", "mosip-api-registrationId",
        "empty-values", "not-strings"])
def test_the_envelope_names_the_registration_number_or_the_rid(data, expected):
    event = parse_credential_event(envelope(**data))
    assert (event.registration_number, event.opencrvs_id, event.registration_id) == expected


def test_opencrvs_v1_9_sample_credential_names_its_rid_its_number_and_its_vid():
    credential = parse_credential(VALID_CREDENTIAL)
    assert credential.registration_id == "100010033575073"
    assert credential.vid == "8031687218"
    assert credential.subject["birthCertificateNumber"] == "C83B023548BST"


@pytest.mark.parametrize("subject_id", ["8031687218402171", "http://credential.idrepo/credentials/8031687218402171"],
                         ids=["opencrvs-credential", "vercred-url"])
def test_a_subject_id_that_is_the_vid_is_no_registration_id(subject_id):
    document = {"credentialSubject": {"id": subject_id, "VID": "8031687218402171", "UIN": "2784528096"}}
    credential = parse_credential(json.dumps(document))
    assert credential.registration_id is None
    assert credential.vid == "8031687218402171"
