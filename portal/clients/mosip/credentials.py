"""The credential MOSIP issues, opened: the partner's RSA key, VER_R2 hybrid decryption (RSA-OAEP-256 + AES-256-GCM),
the key manager's PIN decryption of protected attributes, and the decrypted Verifiable Credential read into a
`Credential` (UIN, VID, registration id). No I/O beyond reading the key file.

Wire facts: `specs/notes/crvs-mosip.md` §4. Encrypting is MOSIP's business; tests do it with tests/fakes.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs12

from portal.clients.errors import PermanentPeerError

from .results import PEER, fail

VERSION_HEADER = b"VER_R2"
KEY_SPLITTER = b"#KEY_SPLITTER#"
THUMBPRINT_LENGTH = 32
AAD_LENGTH = 32
NONCE_LENGTH = 12
TAG_LENGTH = 16
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
PIN_SALT_LENGTH = 32
PIN_KDF_ITERATIONS = 100_000  # mosip.kernel.crypto.hash-iteration, MOSIP's default


@dataclass(frozen=True)
class Credential:
    registration_id: str | None
    uin: str | None
    vid: str | None
    subject: dict = field(repr=False)
    document: dict = field(repr=False)


class CredentialDecryptionError(PermanentPeerError):
    """The credential cannot be decrypted (wrong partner key, truncated or not VER_R2)."""


def parse_credential(plaintext, registration_id=None, protection_key=None):
    """The decrypted Verifiable Credential -> Credential (UIN, VID, registration id).

    V19 `vercred`: the transaction (here: registration) id is the last path segment of `credentialSubject.id`
    and the NID is `VID`; legacy `opencrvs` credentials put `UIN` (and the VID as `id`) in the subject: MOSIP's
    credential service sets the subject `id` to the id the credential was asked for (`CredentialProvider`; a
    `vercred` prefixes it with its URL, `VerCredProvider`), and the OpenCRVS stage asks for the VID, so a tail
    that is the VID is no registration id.
    Attributes the partner policy encrypts are named in `protectedAttributes` and decrypted with the event's
    `protectionKey` PIN, as MOSIP's print service does (`PrintServiceImpl.decryptAttribute`)."""
    try:
        document = json.loads(plaintext)
    except ValueError as exc:
        raise CredentialDecryptionError("decrypted credential is not JSON", peer=PEER) from exc
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    if not isinstance(subject, dict):
        raise fail("credential has no credentialSubject")
    subject = _unprotect(subject, document.get("protectedAttributes"), protection_key)
    subject_id = subject.get("id") if isinstance(subject.get("id"), str) else ""
    vid = subject.get("VID") or subject.get("vid")
    if not vid and subject_id and subject_id.isdigit():
        vid = subject_id
    if not registration_id and "/" in subject_id:
        tail = subject_id.rstrip("/").rsplit("/", 1)[-1]
        registration_id = tail if tail and tail != str(vid or "") else None
    uin = subject.get("UIN") or subject.get("uin")
    return Credential(registration_id, str(uin) if uin else None, str(vid) if vid else None, subject, document)


def _unprotect(subject, protected, protection_key):
    """The subject with its PIN-protected attributes decrypted (a copy; the subject is left as received)."""
    if not protected:
        return subject
    if not isinstance(protected, list) or not all(isinstance(name, str) for name in protected):
        raise CredentialDecryptionError("credential's protectedAttributes is not a list of names", peer=PEER)
    if not protection_key:
        raise CredentialDecryptionError(
            "credential has protected attributes but the event carries no protectionKey", peer=PEER)
    clear = dict(subject)
    for name in protected:
        value = clear.get(name)
        if value in (None, ""):
            continue  # the policy protects it, this credential does not carry it
        if not isinstance(value, str):
            raise CredentialDecryptionError(f"protected attribute {name} is not an encrypted string", peer=PEER)
        clear[name] = decrypt_with_pin(value, protection_key, attribute=name)
    return clear


# --- PIN-based encryption (key manager `encryptWithPin`) ---------------------------------------------
def pin_key(pin, salt):
    """PBKDF2-HMAC-SHA512 (mosip.kernel.crypto.hash-algorithm-name) -> a 256-bit AES key."""
    return hashlib.pbkdf2_hmac("sha512", str(pin).encode(), salt, PIN_KDF_ITERATIONS, 32)


def decrypt_with_pin(data, pin, attribute="value"):
    """Decrypt MOSIP's PIN format: base64(salt(32) ‖ GCM nonce(12) ‖ AES-256-GCM ciphertext ‖ tag), the key
    PBKDF2-derived from the PIN and the salt, the salt also the GCM additional data."""
    try:
        blob = _b64decode_any(data)
    except (binascii.Error, ValueError) as exc:
        raise CredentialDecryptionError(f"protected attribute {attribute} is not base64", peer=PEER) from exc
    if len(blob) < PIN_SALT_LENGTH + NONCE_LENGTH + TAG_LENGTH:
        raise CredentialDecryptionError(f"protected attribute {attribute} is too short to be encrypted", peer=PEER)
    salt, nonce = blob[:PIN_SALT_LENGTH], blob[PIN_SALT_LENGTH:PIN_SALT_LENGTH + NONCE_LENGTH]
    try:
        clear = AESGCM(pin_key(pin, salt)).decrypt(nonce, blob[PIN_SALT_LENGTH + NONCE_LENGTH:], salt)
    except InvalidTag as exc:
        raise CredentialDecryptionError(
            f"protected attribute {attribute} does not decrypt with the event's protectionKey", peer=PEER) from exc
    try:
        return clear.decode()
    except UnicodeDecodeError as exc:
        raise CredentialDecryptionError(f"protected attribute {attribute} is not text", peer=PEER) from exc


# --- VER_R2 hybrid encryption ---------------------------------------------------------------------
def _b64decode_any(text):
    """MOSIP mixes URL-safe (credential service, legacy mediator) and standard base64 (OpenCRVS v1.9)."""
    cleaned = "".join(text.split()).replace("-", "+").replace("_", "/")
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)


def load_partner_key(source, password=None):
    """The partner's RSA private key from a path or PEM/PKCS#12 bytes (PEM PKCS#8/PKCS#1, or .p12)."""
    if isinstance(source, (str, Path)) and not str(source).lstrip().startswith("-----"):
        data = Path(source).read_bytes()
    else:
        data = source.encode() if isinstance(source, str) else source
    pwd = password.encode() if isinstance(password, str) else password
    if b"-----BEGIN" in data:
        key = serialization.load_pem_private_key(data, password=pwd)
    else:
        key, _, _ = pkcs12.load_key_and_certificates(data, pwd)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the partner key must be an RSA private key")
    return key


def decrypt_ver_r2(data, private_key):
    """Decrypt a MOSIP hybrid-encrypted payload (VER_R2 ‖ thumbprint ‖ RSA-OAEP-256 key ‖ #KEY_SPLITTER# ‖
    aad(32, first 12 = GCM nonce) ‖ AES-256-GCM ciphertext ‖ tag). Accepts base64 (std or URL-safe) or bytes.

    Raises CredentialDecryptionError with a plain reason."""
    try:
        blob = _b64decode_any(data) if isinstance(data, str) else bytes(data)
    except (binascii.Error, ValueError) as exc:
        raise CredentialDecryptionError("credential is not base64", peer=PEER) from exc
    at = blob.find(KEY_SPLITTER)
    if at < 0:
        raise CredentialDecryptionError("credential is not MOSIP-encrypted: #KEY_SPLITTER# not found", peer=PEER)
    key_part, content = blob[:at], blob[at + len(KEY_SPLITTER):]
    key_size = private_key.key_size // 8
    if key_part.startswith(VERSION_HEADER):
        wrapped = key_part[len(VERSION_HEADER) + THUMBPRINT_LENGTH:]
    elif len(key_part) == THUMBPRINT_LENGTH + key_size:  # thumbprint without the version header
        wrapped = key_part[THUMBPRINT_LENGTH:]
    else:
        wrapped = key_part
    if len(wrapped) != key_size:
        raise CredentialDecryptionError(
            f"credential was encrypted for a {len(wrapped) * 8}-bit key, the partner key is {key_size * 8}-bit",
            peer=PEER)
    try:
        aes_key = private_key.decrypt(wrapped, OAEP)
    except ValueError as exc:
        raise CredentialDecryptionError(
            "credential was not encrypted for this partner key (RSA-OAEP decryption failed)", peer=PEER) from exc
    if len(content) < AAD_LENGTH + TAG_LENGTH:
        raise CredentialDecryptionError("credential is truncated", peer=PEER)
    aad, sealed = content[:AAD_LENGTH], content[AAD_LENGTH:]
    try:
        return AESGCM(aes_key).decrypt(aad[:NONCE_LENGTH], sealed, aad)
    except InvalidTag as exc:
        raise CredentialDecryptionError("credential failed its AES-GCM integrity check", peer=PEER) from exc
