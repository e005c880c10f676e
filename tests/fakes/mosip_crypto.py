"""Encryption as MOSIP does it, for tests: a credential sealed for the partner key (VER_R2) and an attribute
sealed with a PIN (the key manager's `encryptWithPin`). The product only decrypts
(portal/clients/mosip/credentials.py); these use its constants so that both sides stay one format.
"""

import base64
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.clients.mosip.credentials import (AAD_LENGTH, KEY_SPLITTER, NONCE_LENGTH, OAEP, PIN_SALT_LENGTH,
                                              THUMBPRINT_LENGTH, VERSION_HEADER, pin_key)


def encrypt_with_pin(text, pin):
    """Encrypt like the key manager's `encryptWithPin`; URL-safe base64."""
    salt, nonce = os.urandom(PIN_SALT_LENGTH), os.urandom(NONCE_LENGTH)
    sealed = AESGCM(pin_key(pin, salt)).encrypt(nonce, text.encode(), salt)
    return base64.urlsafe_b64encode(salt + nonce + sealed).rstrip(b"=").decode()


def certificate_thumbprint(cert_pem):
    """MOSIP's certificate thumbprint: SHA-256 of the DER certificate."""
    data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    return x509.load_pem_x509_certificate(data).fingerprint(hashes.SHA256())


def encrypt_ver_r2(plaintext, recipient, thumbprint=None):
    """Encrypt like MOSIP: `recipient` is a PEM certificate, a PEM public key or a public key object; returns
    URL-safe base64 without padding."""
    if isinstance(recipient, (str, bytes)):
        data = recipient.encode() if isinstance(recipient, str) else recipient
        if b"BEGIN CERTIFICATE" in data:
            thumbprint = thumbprint or certificate_thumbprint(data)
            recipient = x509.load_pem_x509_certificate(data).public_key()
        else:
            recipient = serialization.load_pem_public_key(data)
    thumbprint = (thumbprint or bytes(THUMBPRINT_LENGTH))[:THUMBPRINT_LENGTH].ljust(THUMBPRINT_LENGTH, b"\0")
    aes_key, aad = os.urandom(32), os.urandom(AAD_LENGTH)
    sealed = AESGCM(aes_key).encrypt(aad[:NONCE_LENGTH], plaintext, aad)
    blob = VERSION_HEADER + thumbprint + recipient.encrypt(aes_key, OAEP) + KEY_SPLITTER + aad + sealed
    return base64.urlsafe_b64encode(blob).rstrip(b"=").decode()
