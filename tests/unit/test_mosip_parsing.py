"""Parsing MOSIP replies with saved payloads (shapes from the notes, the OpenAPI file and the real samples)."""

import json

import pytest

from portal.clients.errors import PermanentPeerError
from portal.clients.mosip import (parse_create_packet, parse_credential, parse_credential_event,
                                  parse_status_search, parse_workflow_instance)

# specs/crvs/samples/mosip-opencrvs__opencrvs-print_test_credential-issued-event.json, verbatim except that the
# 520 kB `credential` and the proof signature are cut short.
CREDENTIAL_ISSUED_SAMPLE = {
    "publisher": "CREDENTIAL_SERVICE", "topic": "mpartner-default-print/CREDENTIAL_ISSUED",
    "publishedOn": "2021-01-07T16:34:08.216Z",
    "event": {"id": "b59516f2-979d-432e-b9c5-94ebd5be56fc", "transactionId": "230ce206-7a9a-45d6-9505-fb0392e42abd",
              "type": {"namespace": "mosip", "name": "mosip"}, "timestamp": "2021-01-07T16:34:08.216Z",
              "dataShareUri": None,
              "data": {"credential": "8k5bOKVDYs9H5JK3BgmnpkGGe9cpo2vni94U1zoqvB0yQKw43iiwAODMo9Fc",
                       "proof": {"signature": "eyJ4NWMiOlsiTUlJRGx6Q0NBbitnQXdJQkFnSUlRejNV..pr2IgGX_HnusQoHAyt8W94v"},
                       "credentialType": "qrcode", "protectionKey": "abc123"}},
}
# specs/crvs/samples/opencrvs-mosip__decrypted-vercred-VALID_CREDENTIAL.json (opencrvs/mosip verify-vc.test.ts)
VERCRED_SAMPLE = {
    "issuanceDate": "2025-04-11T07:57:43.134Z",
    "credentialSubject": {"birthCertificateNumber": "C83B023548BST", "VID": "8031687218",
                          "id": "http://credential.idrepo/credentials/100010033575073", "vcVer": "VC-V1"},
    "id": "http://credential.idrepo/credentials/3b45aa17-dfd1-432e-ab29-c0be39cb55f7",
    "proof": {"type": "RsaSignature2018", "created": "2025-04-11T07:57:43.134Z", "proofPurpose": "assertionMethod",
              "verificationMethod": "https://legitimate.mosip.dev/.well-known/public-key.json",
              "jws": "eyJhbGciOiJQUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il0sImtpZCI6Imh0dHA6Ly9sb2NhbGhvc3Q6MjAy"
                     "NDAvLndlbGwta25vd24vcHVibGljLWtleS5qc29uIn0..ZLUWGWVP3FrwTgVbcmaM2nb"},
    "type": ["VerifiableCredential", "MOSIPVerifiableCredential"],
    "@context": ["https://www.w3.org/2018/credentials/v1", "http://localhost:20240/.well-known/mosip-context.json",
                 {"sec": "https://w3id.org/security#"}],
    "issuer": "http://localhost:20240/.well-known/controller.json",
}
RID = "10001100040000120250522121835"

# createPacket as the V19 mock mirrors PacketWriterImpl (notes §1.4)
CREATED = {"id": "mosip.registration.packet.writer", "version": "v1", "responsetime": "2025-05-22T12:18:36.000Z",
           "metadata": None, "errors": [], "response": [
               {"id": RID, "packetName": f"{RID}_{sub}", "source": "OPENCRVS", "process": "CRVS_NEW",
                "refId": "10001_10004", "schemaVersion": "0.1", "signature": "c2ln", "encryptedHash": "aGFzaA",
                "providerName": "PacketWriterImpl", "providerVersion": "v1.0",
                "creationDate": "2025-05-22T12:18:36.000Z"}
               for sub in ("evidence", "optional", "id")]}
SWALLOWED = {"id": "mosip.registration.packet.writer", "version": "v1", "responsetime": "2025-05-22T12:18:36.000Z",
             "metadata": None, "response": None, "errors": []}
NO_PROVIDER = {"id": None, "version": None, "responsetime": "2025-05-22T12:18:36.000Z", "metadata": None,
               "response": None, "errors": [{"errorCode": "KER-PUT-006",
                                             "message": "No available provider for given source and process"}]}
# workflowinstance: the OpenAPI example and WorkflowInstanceApi's HTTP-200 errors (notes §2.2)
WORKFLOW_OK = {"id": "mosip.registration.processor.workflow.instance", "version": "v1",
               "responsetime": "2025-04-08T12:35:56Z",
               "response": {"workflowInstanceId": "95d09502-a548-413f-9c01-f15a7c8b08af"}, "errors": None}
WORKFLOW_DUP = {**WORKFLOW_OK, "response": None,
                "errors": [{"errorCode": "RPR-WIS-001", "message": "WorkflowInstance already present"}]}
WORKFLOW_BAD = {**WORKFLOW_OK, "response": None,
                "errors": [{"errorCode": "RPR-WIN-001", "message": "Invalid Request Value - id"}]}
STATUS = {"id": "mosip.registration.status", "version": "1.0", "responsetime": "2025-05-22T12:30:00.000Z",
          "response": [{"registrationId": RID, "statusCode": "UIN_GENERATED", "additionalInfoReqId": None}],
          "errors": [{"errorCode": "RPR-RGS-031", "errorMessage": "RID Not Found",
                      "registrationId": "10001100040000220250522121835"}]}
STATUS_INVALID = {"id": "mosip.registration.external.status", "version": "1.0", "responsetime": "…", "response": None,
                  # the order RegistrationExternalStatusExceptionHandler answers: the specific code, then RPR-RGS-015
                  "errors": [{"errorCode": "RPR-RGS-023", "errorMessage": "Invalid Request Parameter - requesttime"},
                             {"errorCode": "RPR-RGS-015",
                              "errorMessage": "Invalid Request Value - Input Data is Incorrect"}]}


def test_created_packet_infos():
    infos = parse_create_packet(CREATED)
    assert [i.packet_name for i in infos] == [f"{RID}_evidence", f"{RID}_optional", f"{RID}_id"]
    assert infos[0].provider_name == "PacketWriterImpl" and infos[0].process == "CRVS_NEW"


def test_a_null_response_with_no_errors_is_a_failure():
    with pytest.raises(PermanentPeerError) as info:
        parse_create_packet(SWALLOWED)
    assert info.value.code == "PACKET_NOT_CREATED"


def test_no_provider_error_is_permanent_with_its_code():
    with pytest.raises(PermanentPeerError) as info:
        parse_create_packet(NO_PROVIDER)
    assert info.value.code == "KER-PUT-006" and "No available provider" in str(info.value)


def test_workflow_instance_created_or_already_present():
    assert parse_workflow_instance(WORKFLOW_OK).workflow_instance_id == "95d09502-a548-413f-9c01-f15a7c8b08af"
    duplicate = parse_workflow_instance(WORKFLOW_DUP)
    assert duplicate.already_present and duplicate.workflow_instance_id is None


def test_workflow_validation_error_is_permanent():
    with pytest.raises(PermanentPeerError) as info:
        parse_workflow_instance(WORKFLOW_BAD)
    assert info.value.code == "RPR-WIN-001"


def test_status_search_separates_unknown_rids():
    result = parse_status_search(STATUS)
    assert result.statuses == {RID: "UIN_GENERATED"}
    assert result.not_found == ["10001100040000220250522121835"]


def test_status_validation_errors_name_every_code():
    with pytest.raises(PermanentPeerError) as info:
        parse_status_search(STATUS_INVALID)
    assert "RPR-RGS-015" in str(info.value) and info.value.code == "RPR-RGS-023"


def test_the_real_credential_issued_sample_parses():
    event = parse_credential_event(json.dumps(CREDENTIAL_ISSUED_SAMPLE).encode())
    assert event.topic == "mpartner-default-print/CREDENTIAL_ISSUED"
    assert event.event_id == "b59516f2-979d-432e-b9c5-94ebd5be56fc"
    assert event.transaction_id == "230ce206-7a9a-45d6-9505-fb0392e42abd"
    assert event.credential and event.data_share_uri is None and event.data["protectionKey"]


@pytest.mark.parametrize("raw", ['{"topic":"x"}', '{"event":{"data":{"credential":"c"}}}',
                                 '{"event":{"id":"1","data":{}}}', "not json"],
                         ids=["no-event", "no-id", "no-credential", "not-json"])
def test_malformed_events_are_refused(raw):
    with pytest.raises(ValueError):
        parse_credential_event(raw)


def test_the_real_decrypted_vercred_sample_gives_vid_and_transaction_id():
    credential = parse_credential(json.dumps(VERCRED_SAMPLE))
    assert credential.vid == "8031687218" and credential.registration_id == "100010033575073"
    assert credential.uin is None and credential.subject["birthCertificateNumber"] == "C83B023548BST"


def test_a_legacy_credential_with_uin_and_vid_as_subject_id():
    document = {"credentialSubject": {"UIN": "7346597054", "id": "4163572985620718"}}
    credential = parse_credential(json.dumps(document), registration_id=RID)
    assert (credential.uin, credential.vid, credential.registration_id) == ("7346597054", "4163572985620718", RID)
