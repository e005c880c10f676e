"""Parsing mutationLogs answers (payloads saved from the sandbox, shaped as openIMIS core writes them)."""

import pytest

from portal.clients.errors import PermanentPeerError
from portal.clients.openimis import error_codes, parse_mutation_logs, plain_error

RECEIVED = {"data": {"mutationLogs": {"edges": [{"node": {
    "id": "TXV0YXRpb25Mb2dHUUxUeXBlOjFmODgzZTdiLTA5M2MtNGNlMy05M2VkLTM2ZjY0OTY3OTYwZg==", "status": 0,
    "error": None, "clientMutationId": "cm-1", "requestDateTime": "2026-11-24T03:29:36.101010"}}]}}}
SUCCESS = {"data": {"mutationLogs": {"edges": [{"node": {
    "id": "TXV0YXRpb25Mb2dHUUxUeXBlOjFmODgzZTdiLTA5M2MtNGNlMy05M2VkLTM2ZjY0OTY3OTYwZg==", "status": 2,
    "error": None, "clientMutationId": "cm-1", "requestDateTime": "2026-11-24T03:29:36.101010"}}]}}}
DUPLICATE_NUMBER = {"data": {"mutationLogs": {"edges": [{"node": {
    "id": "TXV0YXRpb25Mb2dHUUxUeXBlOjgwZjIxNmY5LWY5ODAtNDZkYi1hZDBhLTViNGM5NTJlM2Y5ZQ==", "status": 1,
    "error": "[{\"message\": \"insuree.mutation.failed_to_create_family\", "
             "\"detail\": \"['invalid_insuree_number']\"}]",
    "clientMutationId": "cm-2", "requestDateTime": "2026-11-24T03:29:37.000001"}}]}}}
# the same clientMutationId sent twice: first run succeeded, the re-run failed on the now-taken number
SENT_TWICE = {"data": {"mutationLogs": {"edges": [
    {"node": {"id": "TXV0YXRpb25Mb2dHUUxUeXBlOjgwZjIxNmY5LWY5ODAtNDZkYi1hZDBhLTViNGM5NTJlM2Y5ZQ==", "status": 1,
              "error": DUPLICATE_NUMBER["data"]["mutationLogs"]["edges"][0]["node"]["error"],
              "clientMutationId": "cm-1", "requestDateTime": "2026-11-24T03:29:37.000001"}},
    SUCCESS["data"]["mutationLogs"]["edges"][0],
]}}}


def test_received():
    result = parse_mutation_logs(RECEIVED)
    assert result.status == "received" and not result.done and not result.ok
    assert result.internal_id == "1f883e7b-093c-4ce3-93ed-36f64967960f"  # relay id decoded to the log UUID


def test_success():
    result = parse_mutation_logs(SUCCESS["data"])
    assert result.ok and result.done and result.error is None and result.client_mutation_id == "cm-1"


def test_error_in_plain_words():
    result = parse_mutation_logs(DUPLICATE_NUMBER)
    assert result.status == "error"
    assert result.raw_error.startswith('[{"message": "insuree.mutation.failed_to_create_family"')
    assert result.error == ("The insurance number is not valid in openIMIS "
                            "(already used, wrong length or wrong check digit)")
    with pytest.raises(PermanentPeerError, match="insurance number is not valid") as caught:
        result.raise_for_error()
    assert caught.value.permanent and caught.value.code == "mutation_error"


def test_sent_twice_counts_as_the_success():
    result = parse_mutation_logs(SENT_TWICE)
    assert result.ok and result.attempts == 2


def test_no_log_is_none():
    assert parse_mutation_logs({"mutationLogs": {"edges": []}}) is None


@pytest.mark.parametrize("payload", [{"mutationLogs": None}, {"mutationLogs": {"edges": [{"node": {"status": 7}}]}},
                                     {"mutationLogs": {"edges": [{"node": {}}]}}])
def test_malformed_is_permanent(payload):
    with pytest.raises(PermanentPeerError):
        parse_mutation_logs(payload)


@pytest.mark.parametrize("raw, expected", [
    ('[{"message": "insuree.mutation.failed_to_create_family", "detail": "unauthorized"}]',
     "The openIMIS service account lacks the permission for this operation"),
    ('[{"message": "insuree.mutation.failed_to_create_family", '
     '"detail": "[\'insuree.validation.insuree_requires_gender\']"}]', "The gender is missing"),
    ('[{"message": "policy.mutation.failed_to_create_policy", "detail": "Product matching query does not exist."}]',
     "Unknown product in openIMIS"),
    ('[{"message": "insuree.mutation.failed_to_create_family", "detail": "insert or update on table \\"tblInsuree\\" '
     'violates foreign key constraint \\"tblInsuree_Gender_fkey\\"\\nDETAIL:  Key (\\"Gender\\")=(X) is not present '
     'in table \\"tblGender\\"."}]', "openIMIS does not know the value 'X' for Gender"),
    ('[{"message": "insuree.mutation.failed_to_create_family", '
     '"detail": "value too long for type character varying(100)"}]',
     "A value is longer than openIMIS allows (100 characters)"),
    ("The mutation threw a <class 'KeyError'>, check logs for details",
     "openIMIS failed while processing the request (an internal error on its side)"),
    ('[{"message": "x", "detail": "something new"}]', "Something new"),
    (None, None),
])
def test_plain_error(raw, expected):
    assert plain_error(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ('[{"message": "insuree.mutation.failed_to_create_family", "detail": "invalid_insuree_number"}]',
     ("invalid_insuree_number",)),
    ('[{"message": "m", "detail": "[\'insuree.validation.insuree_requires_dob\']"}, {"detail": "unauthorized"}]',
     ("insuree.validation.insuree_requires_dob", "unauthorized")),
    ('[{"message": "m", "detail": "value too long for type character varying(100)"}]', ()),
    ("The mutation threw a <class 'KeyError'>, check logs for details", ()),
    (None, ()),
], ids=["number", "two-codes", "database-text", "exception-text", "none"])
def test_error_codes_are_openimiss_own_codes_only(raw, expected):
    assert error_codes(raw) == expected


def test_a_refused_mutation_carries_its_codes():
    result = parse_mutation_logs({"edges": [{"node": {
        "id": "8f0a1c2e-0000-4000-8000-000000000001", "clientMutationId": "m-1", "status": 1,
        "error": '[{"message": "insuree.mutation.failed_to_create_family", "detail": "invalid_insuree_number"}]',
        "requestDateTime": "2025-01-01T00:00:00"}}]})
    assert result.status == "error" and result.error_codes == ("invalid_insuree_number",)
    assert "insurance number is not valid" in result.error
