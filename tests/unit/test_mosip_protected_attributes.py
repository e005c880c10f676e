"""Credential attributes a partner policy encrypts with a PIN (`protectedAttributes` + `protectionKey`)."""

import json

import pytest

from portal.clients.mosip import CredentialDecryptionError, decrypt_with_pin, parse_credential
from tests.fakes.mosip_crypto import encrypt_with_pin

# The vector in the comment of MOSIP's print service (`mosip/mosip-opencrvs` opencrvs-print `CryptoUtil`):
# the key manager's `encryptWithPin("Test123", "abc123")`. It pins the format: the salt and nonce lengths,
# PBKDF2-HMAC-SHA512 with 100,000 iterations, and the salt as the GCM additional data.
MOSIP_VECTOR = "sH0LIHnUee6wGni1stdDrO2GS_MzjwchlO6-0rmWbrduPwO4BE95xEyCDnRzy3joKz_l4UNRa64t15jWcT3dW2vI3w"


def test_the_key_managers_own_vector_decrypts():
    assert decrypt_with_pin(MOSIP_VECTOR, "abc123") == "Test123"


def test_a_wrong_pin_is_a_clear_error_naming_the_attribute():
    with pytest.raises(CredentialDecryptionError, match="UIN does not decrypt with the event's protectionKey"):
        decrypt_with_pin(MOSIP_VECTOR, "abc124", attribute="UIN")


@pytest.mark.parametrize("value, reason", [("not base64 !", "not base64"), ("c2hvcnQ", "too short")])
def test_garbage_is_refused_with_its_reason(value, reason):
    with pytest.raises(CredentialDecryptionError, match=reason):
        decrypt_with_pin(value, "123456")


def test_encrypt_and_decrypt_round_trip_with_a_fresh_salt_each_time():
    first, second = encrypt_with_pin("7346597054", "482913"), encrypt_with_pin("7346597054", "482913")
    assert first != second
    assert decrypt_with_pin(first, "482913") == decrypt_with_pin(second, "482913") == "7346597054"


def protected_credential(pin="482913"):
    return json.dumps({
        "credentialSubject": {"UIN": encrypt_with_pin("7346597054", pin), "id": "4163572985620718",
                              "fullName": "[{\"language\":\"eng\",\"value\":\"Ada\"}]"},
        "protectedAttributes": ["UIN", "email"],  # email: protected by the policy, absent here
    })


def test_protected_attributes_are_decrypted_with_the_protection_key():
    credential = parse_credential(protected_credential(), registration_id="10001100041000120240601000000",
                                  protection_key="482913")
    assert credential.uin == "7346597054" and credential.vid == "4163572985620718"
    assert credential.subject["fullName"].startswith("[")  # unprotected attributes stay as they are


def test_protected_attributes_without_a_protection_key_are_a_clear_error():
    with pytest.raises(CredentialDecryptionError, match="no protectionKey"):
        parse_credential(protected_credential(), protection_key="")


def test_a_protection_key_that_does_not_fit_is_a_clear_error():
    with pytest.raises(CredentialDecryptionError, match="UIN does not decrypt"):
        parse_credential(protected_credential(), protection_key="000000")


def test_protected_attributes_must_be_a_list_of_names():
    document = {"credentialSubject": {"UIN": "x"}, "protectedAttributes": "UIN"}
    with pytest.raises(CredentialDecryptionError, match="not a list of names"):
        parse_credential(json.dumps(document), protection_key="1")
