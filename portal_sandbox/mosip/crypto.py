"""The sandbox MOSIP's cryptography and id arithmetic: VER_R2 credential encryption, UIN token ids,
Verhoeff check digits, auth-manager style JWTs.

Formats follow the MOSIP sources cited in `specs/notes/crvs-mosip.md` §4.4 (VER_R2) and the kernel
token-id generator (`mosip/commons` `kernel-tokenidgenerator` `TokenIDGenerator`): facts, not code.
"""

import base64
import hashlib
import hmac
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION_HEADER = b"VER_R2"
KEY_SPLITTER = b"#KEY_SPLITTER#"
AAD_LENGTH = 32  # the first 12 bytes double as the GCM nonce
NONCE_LENGTH = 12


def load_public_key(pem):
    """Return (public_key, thumbprint) from a PEM certificate or a PEM public key.

    MOSIP's thumbprint is the SHA-256 of the certificate (DER); for a bare key we hash its SPKI.
    """
    data = pem.encode() if isinstance(pem, str) else pem
    if b"BEGIN CERTIFICATE" in data:
        cert = x509.load_pem_x509_certificate(data)
        return cert.public_key(), cert.fingerprint(hashes.SHA256())
    key = serialization.load_pem_public_key(data)
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, hashlib.sha256(spki).digest()


def encrypt_ver_r2(plaintext, public_key, thumbprint):
    """MOSIP hybrid encryption: VER_R2 ‖ thumbprint(32) ‖ RSA-OAEP-256(aes key) ‖ #KEY_SPLITTER# ‖ aad(32) ‖ AES-GCM."""
    aes_key = os.urandom(32)
    aad = os.urandom(AAD_LENGTH)
    sealed = AESGCM(aes_key).encrypt(aad[:NONCE_LENGTH], plaintext, aad)  # ciphertext ‖ tag(16)
    wrapped = public_key.encrypt(
        aes_key,
        padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    return VERSION_HEADER + thumbprint[:32].ljust(32, b"\0") + wrapped + KEY_SPLITTER + aad + sealed


def encrypt_with_pin(text, pin):
    """The key manager's `encryptWithPin`: salt(32) ‖ GCM nonce(12) ‖ AES-256-GCM(ciphertext ‖ tag), the key
    PBKDF2-HMAC-SHA512(pin, salt, 100000 iterations, 256 bits), the salt also the additional data."""
    salt, nonce = os.urandom(32), os.urandom(NONCE_LENGTH)
    key = hashlib.pbkdf2_hmac("sha512", pin.encode(), salt, 100_000, 32)
    return urlsafe_b64(salt + nonce + AESGCM(key).encrypt(nonce, text.encode(), salt))


def urlsafe_b64(data):
    """MOSIP's `CryptoUtil.encodeToURLSafeBase64`: URL-safe alphabet, no padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj):
    return urlsafe_b64(json.dumps(obj, separators=(",", ":")).encode())


def sign_hs256(payload, secret):
    """A compact HS256 JWT: the sandbox's stand-in for Keycloak's access tokens."""
    header = b64url_json({"alg": "HS256", "typ": "JWT"})
    body = b64url_json(payload)
    signature = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{urlsafe_b64(signature)}"


def detached_jws(payload_bytes, secret):
    """A detached JWS (`header..signature`), shaped like the credential service's proof."""
    header = b64url_json({"alg": "HS256", "b64": False, "crit": ["b64"]})
    signing_input = header.encode() + b"." + payload_bytes
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}..{urlsafe_b64(signature)}"


def token_id(uin, partner_code, uin_salt, partner_salt, length=36):
    """The kernel's partner-specific token: SHA-256 chains over salts, read as a big decimal number."""
    uin_hash = hashlib.sha256((uin + uin_salt).encode()).hexdigest().upper()
    digest = hashlib.sha256((partner_salt + partner_code + uin_hash).encode()).hexdigest().upper()
    return str(int.from_bytes(digest.encode(), "big"))[:length]


# Verhoeff tables (MOSIP UINs and VIDs end with a Verhoeff check digit).
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_digit(number):
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _D[check][_P[(i + 1) % 8][int(digit)]]
    return str(_INV[check])


def verhoeff_valid(number):
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def generate_id(rng, length):
    """A MOSIP-like UIN/VID: no leading 0 or 1, Verhoeff check digit last."""
    body = str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 2))
    return body + verhoeff_digit(body)
