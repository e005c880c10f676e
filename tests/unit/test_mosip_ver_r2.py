"""VER_R2 hybrid encryption: round trip, MOSIP's framing variants, clear errors for the wrong key."""

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portal.clients.mosip import CredentialDecryptionError, decrypt_ver_r2, load_partner_key
from tests.fakes.mosip_crypto import certificate_thumbprint, encrypt_ver_r2

SANDBOX = Path(__file__).parents[2] / "portal_sandbox" / "mosip"
KEY_PATH = SANDBOX / "demo-partner-key.pem"
CERT = (SANDBOX / "demo-partner-cert.pem").read_bytes()
PAYLOAD = json.dumps({"credentialSubject": {"VID": "8031687218"}}).encode()


@pytest.fixture(scope="module")
def key():
    return load_partner_key(KEY_PATH)


def test_round_trip_with_the_partner_certificate(key):
    encrypted = encrypt_ver_r2(PAYLOAD, CERT)
    blob = base64.urlsafe_b64decode(encrypted + "=" * (-len(encrypted) % 4))
    assert blob.startswith(b"VER_R2" + certificate_thumbprint(CERT))
    assert b"#KEY_SPLITTER#" in blob
    assert decrypt_ver_r2(encrypted, key) == PAYLOAD


def test_standard_base64_and_raw_bytes_are_accepted(key):
    blob = base64.urlsafe_b64decode(encrypt_ver_r2(PAYLOAD, CERT) + "==")
    assert decrypt_ver_r2(base64.b64encode(blob).decode(), key) == PAYLOAD
    assert decrypt_ver_r2(blob, key) == PAYLOAD


def test_a_payload_without_version_header_is_still_read(key):
    blob = base64.urlsafe_b64decode(encrypt_ver_r2(PAYLOAD, CERT) + "==")
    assert decrypt_ver_r2(blob[len(b"VER_R2"):], key) == PAYLOAD  # thumbprint ‖ key ‖ splitter …
    assert decrypt_ver_r2(blob[len(b"VER_R2") + 32:], key) == PAYLOAD  # bare encrypted key


def test_the_wrong_key_gives_a_clear_error():
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encrypted = encrypt_ver_r2(PAYLOAD, CERT)
    with pytest.raises(CredentialDecryptionError, match="not encrypted for this partner key"):
        decrypt_ver_r2(encrypted, other)


def test_a_hand_made_credential_for_another_key_size_is_explained(key):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = small.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(CredentialDecryptionError, match="1024-bit key"):
        decrypt_ver_r2(encrypt_ver_r2(PAYLOAD, pem), key)


def test_tampering_fails_the_integrity_check(key):
    blob = bytearray(base64.urlsafe_b64decode(encrypt_ver_r2(PAYLOAD, CERT) + "=="))
    blob[-20] ^= 1
    with pytest.raises(CredentialDecryptionError, match="integrity"):
        decrypt_ver_r2(bytes(blob), key)


@pytest.mark.parametrize("data,message", [("%%%not base64%%%", "not base64"),
                                          (base64.b64encode(b"VER_R2 nothing else").decode(), "KEY_SPLITTER")],
                         ids=["not-base64", "no-splitter"])
def test_malformed_payloads(key, data, message):
    with pytest.raises(CredentialDecryptionError, match=message):
        decrypt_ver_r2(data, key)


def test_the_error_is_permanent_for_the_job_queue(key):
    with pytest.raises(CredentialDecryptionError) as info:
        decrypt_ver_r2("AAAA", key)
    assert info.value.permanent


def test_partner_key_from_pkcs12(tmp_path, key):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    data = pkcs12.serialize_key_and_certificates(b"partner", key, x509.load_pem_x509_certificate(CERT), None,
                                                 BestAvailableEncryption(b"pw"))
    path = tmp_path / "partner.p12"
    path.write_bytes(data)
    loaded = load_partner_key(str(path), "pw")
    assert decrypt_ver_r2(encrypt_ver_r2(PAYLOAD, CERT), loaded) == PAYLOAD
